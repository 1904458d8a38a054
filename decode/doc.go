// Package decode turns captured frames into PTP (IEEE 1588) messages and back.
//
// It covers the link layers a capture can carry (Ethernet II, up to four
// 802.1Q/802.1ad/0x9100 tags, Linux cooked SLL and SLL2), IPv4 with options,
// IPv6 with extension headers, UDP, and every PTP version seen in the field:
// PTPv1 (IEEE 1588-2002), PTPv2 (IEEE 1588-2008) and PTPv2.1 (IEEE 1588-2019),
// with every message type, TLV and management data set.
//
// # Ownership and aliasing
//
// Decoders fill structs the caller owns, in the manner of net/netip values and
// gopacket's DecodingLayerParser. A decoded Frame keeps Raw and other byte
// slices aliasing the input; they stay valid only as long as the caller keeps
// the input unchanged. Nothing is copied, nothing is allocated.
//
// # Hot path and detail path
//
// Frame.Decode is the per-frame path: it reads the link, network, transport
// and PTP header and body, validates the TLV chain, and never allocates or
// formats. Typed TLV and management data-set decoders run only when a caller
// asks for them. Fields builds the complete located field tree (name, value,
// byte offset and length from the start of the frame) for the detail view;
// it allocates and is not meant for every frame.
//
// # Bad input
//
// No input makes a decoder panic. Every frame ends in a Result (OK, NotPTP,
// Truncated or Malformed) with a Reason that callers can count; the frame's
// bytes stay available in Frame.Raw whatever the outcome.
//
// # Encoders
//
// The Append* functions and AppendTo methods append wire bytes to a caller's
// buffer without allocating, so frames for management sweeps, Delay_Req and
// the simulator are built in reused buffers. Decoding what an encoder wrote
// gives back the same message.
//
// # Tables
//
// Protocol values are described once. Each management ID has one row in
// mgmtIDs (name, data field length, port or clock scope, the
// ManagementData member that holds its data set, the detail view's layout)
// from which Body, DecodeManagementData, AppendManagementData and Fields
// work. The PTPv1 field tables place every field for both the detail view
// and V1Message.AppendTo. Enum names are the constants' line comments,
// turned into String methods by stringer (names.go; `go generate ./decode`
// after changing a constant).
//
// Clause numbers in comments refer to IEEE 1588-2019 unless another edition
// is named.
package decode
