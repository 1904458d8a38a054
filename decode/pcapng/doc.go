// Package pcapng reads and writes packet capture files in the classic pcap
// format and in pcapng, so that ptpwatch can replay recorded PTP traffic and
// save what it sees in a form Wireshark, tshark and tcpdump open directly.
//
// # Reading
//
// [NewReader] looks at the first bytes of its input and picks the format: pcap
// with microsecond (0xa1b2c3d4) or nanosecond (0xa1b23c4d) timestamps in
// either byte order, or pcapng starting with a Section Header Block in either
// byte order. Other magics, such as the old "modified" pcap 0xa1b2cd34, are
// rejected. pcapng files may hold several sections, each with its own byte
// order and interfaces. Enhanced, Simple and the obsolete Packet Blocks
// produce packets; every other block (name resolution, interface statistics,
// decryption secrets, custom blocks, ...) is checked for a sane length and
// skipped.
//
// Timestamps are converted to nanoseconds since the Unix epoch using the
// interface's if_tsresol (decimal or binary) and if_tsoffset, so callers never
// see tick units.
//
// # Ownership and allocation
//
// [Reader.Next] fills a [Packet] owned by the caller. Packet.Data aliases a
// buffer inside the Reader and is valid only until the next call to Next; copy
// it to keep it. Packet options (the comment, flags, ...) are kept as raw
// bytes and decoded on request, so reading costs no allocation per packet once
// the internal buffer has grown to the largest block in the file. The writers
// likewise reuse a scratch buffer and write comments straight from the string,
// so [NgWriter.WritePacket] and [PcapWriter.WritePacket] do not allocate.
// Both writers buffer their output: call Flush before closing the file.
//
// # Limits
//
// Input is untrusted. Any block or record longer than [MaxBlockSize] is
// rejected with a [*FormatError] instead of being buffered, and the buffer
// for a large block grows only as fast as its bytes actually arrive, so a lying
// length on a short input cannot force a big allocation. A file may declare at
// most [MaxInterfaces] interfaces. Malformed input yields a *FormatError and
// input that ends inside a block yields one wrapping [io.ErrUnexpectedEOF];
// the Reader never panics. A clean end of input at a block boundary is
// [io.EOF].
//
// # Concurrency
//
// A Reader or writer is not safe for concurrent use; use one per goroutine.
package pcapng
