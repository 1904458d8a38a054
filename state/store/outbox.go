package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// The notification outbox (family Outbox, owned by state/notify): one key
// per notification waiting for delivery on one channel, 'o' channel 0x00
// seq(8), so that a channel's entries sort by sequence number and one
// bounded iterator reads them in order. Writes are synced: a notification
// accepted into the outbox survives a crash, and one deleted after its
// delivery is not delivered again after a restart.

// ErrBadChannel is returned for a channel name the outbox keys cannot hold.
var ErrBadChannel = errors.New("store: outbox channel name empty or holding a NUL byte")

func outboxPrefix(channel string) ([]byte, error) {
	if channel == "" {
		return nil, ErrBadChannel
	}
	for i := 0; i < len(channel); i++ {
		if channel[i] == 0 {
			return nil, ErrBadChannel
		}
	}
	return append(append([]byte{byte(Outbox)}, channel...), 0), nil
}

// PutOutbox stores the notifications values under seqs on channel, in one
// synced write.
func (s *Store) PutOutbox(channel string, seqs []uint64, values [][]byte) error {
	p, err := outboxPrefix(channel)
	if err != nil {
		return err
	}
	if len(seqs) != len(values) {
		return fmt.Errorf("store: outbox: %d sequence numbers for %d values", len(seqs), len(values))
	}
	size := 0
	for _, v := range values {
		size += len(p) + 8 + len(v) + 2*binary.MaxVarintLen32 + 1
	}
	b := s.db.NewBatchWithSize(size)
	defer b.Close()
	key := slices.Clip(p)
	for i, seq := range seqs {
		key = binary.BigEndian.AppendUint64(key[:len(p)], seq)
		if err := b.Set(key, values[i], nil); err != nil {
			return err
		}
	}
	return s.Write(b, true)
}

// DeleteOutbox deletes the notifications seqs of channel, in one synced
// write. A run of consecutive sequence numbers (a digest's entries) is
// deleted as one range: no other key can lie inside it.
func (s *Store) DeleteOutbox(channel string, seqs []uint64) error {
	p, err := outboxPrefix(channel)
	if err != nil {
		return err
	}
	b := s.db.NewBatch()
	defer b.Close()
	key, end := slices.Clip(p), slices.Clip(p)
	for i := 0; i < len(seqs); {
		j := i + 1
		for j < len(seqs) && seqs[j] == seqs[j-1]+1 {
			j++
		}
		key = binary.BigEndian.AppendUint64(key[:len(p)], seqs[i])
		if j-i >= minDeleteRange && seqs[j-1] != math.MaxUint64 {
			end = binary.BigEndian.AppendUint64(end[:len(p)], seqs[j-1]+1)
			if err := b.DeleteRange(key, end, nil); err != nil {
				return err
			}
			i = j
			continue
		}
		if err := b.Delete(key, nil); err != nil {
			return err
		}
		i++
	}
	return s.Write(b, true)
}

// minDeleteRange is the shortest run of sequence numbers DeleteOutbox
// deletes as a range rather than key by key.
const minDeleteRange = 4

// EachOutbox calls fn with every notification stored for channel, in
// sequence order. v is valid only during the call.
func (s *Store) EachOutbox(channel string, fn func(seq uint64, v []byte) error) error {
	p, err := outboxPrefix(channel)
	if err != nil {
		return err
	}
	hi := append([]byte(nil), p...)
	hi[len(hi)-1] = 1
	it, err := s.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: hi})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) != len(p)+8 {
			continue
		}
		v, err := it.ValueAndErr()
		if err == nil {
			err = fn(binary.BigEndian.Uint64(k[len(p):]), v)
		}
		if err != nil {
			it.Close()
			return s.ReadErr(err)
		}
	}
	return s.ReadErr(it.Close())
}

// OutboxChannels returns the channels that have notifications stored and
// how many each has (so that entries of a channel no longer configured
// can be reported).
func (s *Store) OutboxChannels() (map[string]int, error) {
	out := map[string]int{}
	err := s.Each(Outbox, func(k, _ []byte) error {
		if len(k) < 1+1+1+8 || k[len(k)-9] != 0 {
			return nil
		}
		out[string(k[1:len(k)-9])]++
		return nil
	})
	return out, err
}

// alarmKey is 'l' kind 0x00 name.
func alarmKey(kind, name string) []byte {
	return append(append(append([]byte{byte(Alarms)}, kind...), 0), name...)
}

// PutAlarmRecord stores the alarm record name of kind ("def", "state"),
// durably; nil or empty deletes it.
func (s *Store) PutAlarmRecord(kind, name string, v []byte) error {
	return s.PutOrDelete(alarmKey(kind, name), v)
}

// AlarmRecords returns every alarm record of kind, by name.
func (s *Store) AlarmRecords(kind string) (map[string][]byte, error) {
	out := map[string][]byte{}
	p := alarmKey(kind, "")
	err := s.Each(Alarms, func(k, v []byte) error {
		if len(k) >= len(p) && string(k[:len(p)]) == string(p) {
			out[string(k[len(p):])] = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// PutAlarmRecords stores several alarm records of kind in one synced
// write; a nil or empty value deletes its record.
func (s *Store) PutAlarmRecords(kind string, recs map[string][]byte) error {
	if len(recs) == 0 {
		return nil
	}
	b := s.db.NewBatch()
	defer b.Close()
	for name, v := range recs {
		var err error
		if len(v) == 0 {
			err = b.Delete(alarmKey(kind, name), nil)
		} else {
			err = b.Set(alarmKey(kind, name), v, nil)
		}
		if err != nil {
			return err
		}
	}
	return s.Write(b, true)
}
