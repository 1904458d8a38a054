package store

import (
	"errors"
	"strings"

	"github.com/cockroachdb/pebble/v2"
)

// Management data (family Managed, owned by state/manage): 'g' kind 0x00
// name, one record per node ("node"), per checked master ("master") and
// the sweep bookkeeping ("sweep"). A kind's records are replaced together
// by PutManaged, so that what is stored is always one consistent picture
// of one moment; writes are not synced (a crash loses at most the last
// picture, which the next sweep renews).

// ErrBadManagedKind is returned for a kind the keys cannot hold.
var ErrBadManagedKind = errors.New("store: management record kind empty or holding a NUL byte")

func managedPrefix(kind string) ([]byte, error) {
	if kind == "" || strings.IndexByte(kind, 0) >= 0 {
		return nil, ErrBadManagedKind
	}
	return append(append([]byte{byte(Managed)}, kind...), 0), nil
}

// PutManaged replaces every record of kind with recs (name to value), in
// one batch: records of kind not in recs are deleted.
func (s *Store) PutManaged(kind string, recs map[string][]byte) error {
	p, err := managedPrefix(kind)
	if err != nil {
		return err
	}
	hi := append([]byte(nil), p...)
	hi[len(hi)-1] = 1
	b := s.db.NewBatch()
	defer b.Close()
	if err := b.DeleteRange(p, hi, nil); err != nil {
		return err
	}
	for name, v := range recs {
		if err := b.Set(append(append([]byte(nil), p...), name...), v, nil); err != nil {
			return err
		}
	}
	return s.Write(b, false)
}

// Managed returns every record of kind, by name; the values are copies.
func (s *Store) Managed(kind string) (map[string][]byte, error) {
	p, err := managedPrefix(kind)
	if err != nil {
		return nil, err
	}
	hi := append([]byte(nil), p...)
	hi[len(hi)-1] = 1
	it, err := s.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: hi})
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return out, s.ReadErr(err)
		}
		out[string(it.Key()[len(p):])] = append([]byte(nil), v...)
	}
	return out, s.ReadErr(it.Close())
}
