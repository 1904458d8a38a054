package dump

import (
	"strconv"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
)

// frameJSON writes frames as JSON lines, reusing its buffers: after the
// first frames it allocates nothing per frame.
type frameJSON struct {
	list decode.FieldList
}

// appendFrame appends one frame as its JSON line (the Frame type's form,
// keys in field order), written by hand: the layers are written by
// decode.FieldList.AppendJSON as the frame's fields are listed.
func (j *frameJSON) appendFrame(b []byte, n int, ts int64, length, orig int, fr *decode.Frame, typ string) []byte {
	b = append(b, `{"frame":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `,"time":"`...)
	b = time.Unix(0, ts).UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","length":`...)
	b = strconv.AppendInt(b, int64(length), 10)
	b = append(b, `,"originalLength":`...)
	b = strconv.AppendInt(b, int64(orig), 10)
	b = append(b, `,"result":`...)
	b = AppendJSONString(b, fr.Result.String())
	if r := fr.Reason.String(); r != "" {
		b = append(b, `,"reason":`...)
		b = AppendJSONString(b, r)
	}
	if typ != "" {
		b = append(b, `,"message":`...)
		b = AppendJSONString(b, typ)
	}
	b = append(b, `,"layers":{`...)
	b = j.list.AppendJSON(b, fr)
	return append(b, "}}\n"...)
}

// AppendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it (decode.AppendJSONString). It does not allocate when b has
// room.
func AppendJSONString[T ~string | ~[]byte](b []byte, s T) []byte {
	return decode.AppendJSONString(b, s)
}
