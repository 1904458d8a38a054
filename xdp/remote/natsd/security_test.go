package natsd_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
	"golang.org/x/crypto/bcrypt"

	"github.com/ptpwatch/ptpwatch/xdp/remote"
	"github.com/ptpwatch/ptpwatch/xdp/remote/natsd"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// seal returns one sealed batch of the numbered frames from..to-1.
func seal(t testing.TB, s *remote.Sealer, from, to uint64) []byte {
	e := remote.NewEncoder(1 << 16)
	e.SetInterfaces(ifaces)
	e.Reset(from, remote.Drops{})
	for n := from; n < to; n++ {
		f := numbered(n)
		e.Add(&f)
	}
	env, _ := s.Seal(nil, e.Bytes(), e.FirstSeq(), uint32(e.Len()))
	return env
}

// TestRefusals feeds a collector what it must refuse, through its server
// as a relay or a foreign probe would, and then a good batch: each bad one
// is refused and counted, and the good one still arrives.
func TestRefusals(t *testing.T) {
	col := startCollector(t, natsd.Config{}, remote.CollectorConfig{Keys: []remote.Key{key(t, 5, 1), key(t, 6, 2)}})
	nc, err := nats.Connect(col.url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	pub := func(env []byte) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := js.Publish(ctx, remote.FramesSubject+".paris", env); err != nil {
			t.Fatal(err)
		}
	}
	good, _ := remote.NewSealer(key(t, 5, 1), "paris", 100)
	wrongSecret, _ := remote.NewSealer(key(t, 5, 9), "paris", 100)
	unknownID, _ := remote.NewSealer(key(t, 7, 1), "paris", 100)

	first := seal(t, good, 0, 10)
	pub(first)
	pub(seal(t, wrongSecret, 10, 20))
	pub(seal(t, unknownID, 10, 20))
	pub(first) // replayed
	b := seal(t, good, 10, 20)
	pub(b[:len(b)-20]) // cut short in the sealed part: fails authentication
	pub(b[:30])        // cut short in the clear header
	flipped := append([]byte(nil), b...)
	flipped[len(flipped)/2] ^= 0x10
	pub(flipped)               // one bit flipped
	pub([]byte("not a batch")) // garbage
	pub(seal(t, good, 10, 20)) // the next good batch (sequence 3 of the run)
	var f source.Frame
	for i := range uint64(20) {
		if err := next(col.c, &f, 5*time.Second); err != nil {
			t.Fatalf("frame %d: %v (refused %+v)", i, err, col.c.Refused())
		}
		if number(&f) != i {
			t.Fatalf("frame %d is number %d", i, number(&f))
		}
	}
	if err := next(col.c, &f, 300*time.Millisecond); err == nil {
		t.Fatalf("an extra frame %d", number(&f))
	}
	want := remote.Refused{Forged: 3, UnknownKey: 1, Replayed: 1, Truncated: 1, NotSealed: 1}
	waitFor(t, 5*time.Second, fmt.Sprintf("the refusals counted: want %+v", want), func() bool { return col.c.Refused() == want })
	s := col.c.Sites()
	if len(s) != 1 || s[0].Frames != 20 || s[0].Replayed != 1 || s[0].Lost != 0 {
		t.Errorf("sites %+v", s)
	}
}

// TestWrongKeyProbe: a probe with the wrong pre-shared key forwards, its
// batches are refused, and a good probe beside it is unharmed.
func TestWrongKeyProbe(t *testing.T) {
	col := startCollector(t, natsd.Config{}, remote.CollectorConfig{})
	bad := startProbe(t, remote.ProbeConfig{Site: "rogue", Collectors: []string{col.url}, Key: key(t, 5, 3)})
	good := startProbe(t, remote.ProbeConfig{Site: "paris", Collectors: []string{col.url}})
	for i := range uint64(100) {
		f := numbered(i)
		bad.Add(&f, ifaces)
		good.Add(&f, ifaces)
	}
	drain(t, bad)
	drain(t, good)
	r := read(col.c, nil)
	waitFor(t, 5*time.Second, "the good probe's frames", func() bool { return r.count("paris") == 100 })
	r.close()
	r.check(t, "paris", 100)
	if r.count("rogue") != 0 || col.c.Refused().Forged == 0 {
		t.Errorf("rogue frames %d, refused %+v", r.count("rogue"), col.c.Refused())
	}
}

// TestAllowList: a probe from an address outside the allow-list, or with
// the wrong password, cannot even connect; the refusals are counted.
func TestAllowList(t *testing.T) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	col := startCollector(t, natsd.Config{Allow: []netip.Prefix{netip.MustParsePrefix("10.99.0.0/16")}, Users: []string{"probe:" + string(hash)}},
		remote.CollectorConfig{})
	p := startProbe(t, remote.ProbeConfig{Collectors: []string{col.url}, User: "probe", Password: "s3cret"})
	f := numbered(0)
	p.Add(&f, ifaces)
	p.Flush()
	waitFor(t, 5*time.Second, "the address refusal", func() bool { return col.srv.Refused().Address > 0 && p.Status().Collectors[0].Failures > 0 })
	if st := p.Status(); st.Collectors[0].Connected || st.Collectors[0].Frames != 0 {
		t.Errorf("a probe outside the allow-list got through: %+v", st)
	}

	col2 := startCollector(t, natsd.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Users: []string{"probe:" + string(hash)}},
		remote.CollectorConfig{})
	wrong := startProbe(t, remote.ProbeConfig{Site: "wrong", Collectors: []string{col2.url}, User: "probe", Password: "guess"})
	right := startProbe(t, remote.ProbeConfig{Site: "right", Collectors: []string{col2.url}, User: "probe", Password: "s3cret"})
	wrong.Add(&f, ifaces)
	right.Add(&f, ifaces)
	drain(t, right)
	waitFor(t, 5*time.Second, "the credentials refusal", func() bool {
		return col2.srv.Refused().Credentials > 0 && wrong.Status().Collectors[0].Failures > 0
	})
	if st := wrong.Status(); st.Collectors[0].Connected {
		t.Errorf("a probe with the wrong password got through: %+v", st)
	}
}

// selfSigned makes a certificate for 127.0.0.1 and returns it and a pool
// trusting it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "collector"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k, Leaf: cert}, pool
}

// TestMutualTLS: with TLS required, a probe with the client certificate
// forwards and one without cannot connect.
func TestMutualTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	stls := &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}
	col := startCollector(t, natsd.Config{TLS: stls}, remote.CollectorConfig{})
	good := startProbe(t, remote.ProbeConfig{Site: "paris", Collectors: []string{col.url},
		TLS: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})
	anon := startProbe(t, remote.ProbeConfig{Site: "anon", Collectors: []string{col.url}, TLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}})
	f := numbered(0)
	good.Add(&f, ifaces)
	anon.Add(&f, ifaces)
	drain(t, good)
	waitFor(t, 10*time.Second, "the anonymous probe to fail", func() bool { return anon.Status().Collectors[0].Failures > 0 })
	t.Logf("anonymous probe: %s", anon.Status().Collectors[0].LastError)
	if st := anon.Status(); st.Collectors[0].Connected || st.Collectors[0].Frames != 0 {
		t.Errorf("a probe without a client certificate got through: %+v", st)
	}
	if s := col.c.Sites(); len(s) != 1 || s[0].Site != "paris" {
		t.Errorf("sites %+v", s)
	}
}

// newNkey makes a user NKEY for a probe: its seed parsed as a probe reads
// it, and the key pair for raw clients.
func newNkey(t testing.TB) (remote.Nkey, nkeys.KeyPair) {
	seed, _, err := remote.GenerateNkey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := remote.ParseNkeySeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := nkeys.FromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprintf("%v %+v %#v %s", k, k, k, k); strings.Contains(s, string(seed)) || !strings.Contains(s, k.Public()) {
		t.Fatalf("an NKEY prints as %q", s)
	}
	return k, kp
}

// TestNkeys: with NKEYs bound to sites, the right key forwards; an unknown
// key and no key are refused and counted; a probe holding one site's key
// can neither publish on another site's subject nor pass off batches
// sealed as another site on its own.
func TestNkeys(t *testing.T) {
	paris, parisKP := newNkey(t)
	tokyo, _ := newNkey(t)
	rogue, _ := newNkey(t)
	col := startCollector(t, natsd.Config{Nkeys: []string{"paris:" + paris.Public(), "tokyo:" + tokyo.Public()}}, remote.CollectorConfig{})

	good := startProbe(t, remote.ProbeConfig{Site: "paris", Collectors: []string{col.url}, Nkey: paris})
	unknown := startProbe(t, remote.ProbeConfig{Site: "lyon", Collectors: []string{col.url}, Nkey: rogue})
	none := startProbe(t, remote.ProbeConfig{Site: "nice", Collectors: []string{col.url}})
	for i := range uint64(100) {
		f := numbered(i)
		good.Add(&f, ifaces)
		unknown.Add(&f, ifaces)
		none.Add(&f, ifaces)
	}
	drain(t, good)
	waitFor(t, 10*time.Second, "both keyless and unknown-key probes refused", func() bool {
		return col.srv.Refused().Credentials >= 2 && unknown.Status().Collectors[0].Failures > 0 && none.Status().Collectors[0].Failures > 0
	})
	for _, p := range []*remote.Probe{unknown, none} {
		if st := p.Status(); st.Collectors[0].Connected || st.Collectors[0].Frames != 0 {
			t.Errorf("probe %s got through: %+v", st.Site, st.Collectors[0])
		}
	}
	t.Logf("refused: %+v; unknown key: %s", col.srv.Refused(), unknown.Status().Collectors[0].LastError)

	// Paris's key on a probe that calls itself tokyo: its subject is
	// tokyo's, which paris's key may not publish on.
	thief := startProbe(t, remote.ProbeConfig{Site: "tokyo", Collectors: []string{col.url}, Nkey: paris})
	f := numbered(0)
	thief.Add(&f, ifaces)
	thief.Flush()
	waitFor(t, 10*time.Second, "the publish on tokyo's subject to be refused", func() bool {
		return strings.Contains(thief.Status().Collectors[0].LastError, "Permissions Violation")
	})
	t.Logf("paris's key on tokyo's subject: %s", thief.Status().Collectors[0].LastError)

	// A raw client with paris's key: tokyo's subject refused; a batch
	// sealed as tokyo on paris's subject stored but refused and counted by
	// the collector.
	refused := make(chan error, 4)
	nc, err := nats.Connect(col.url, nats.Nkey(paris.Public(), parisKP.Sign),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { refused <- err }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	s, _ := remote.NewSealer(key(t, 5, 1), "tokyo", 1)
	if err := nc.Publish(remote.FramesSubject+".tokyo", seal(t, s, 1, 5)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-refused:
		if !errors.Is(err, nats.ErrPermissionViolation) {
			t.Errorf("tokyo's subject with paris's key: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("paris's key published on tokyo's subject unrefused")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	before := col.c.Refused().WrongSubject
	if _, err := js.Publish(ctx, remote.FramesSubject+".paris", seal(t, s, 1, 5)); err != nil {
		t.Fatalf("paris's subject: %v", err)
	}
	waitFor(t, 10*time.Second, "the collector to refuse tokyo's batch on paris's subject", func() bool { return col.c.Refused().WrongSubject > before })

	// Only paris's 100 frames arrived, in order.
	r := read(col.c, nil)
	waitFor(t, 10*time.Second, "paris's frames", func() bool { return r.count("paris") == 100 })
	r.close()
	for site, got := range r.got {
		if site != "paris" {
			t.Errorf("frames of site %s arrived: %d", site, len(got))
		}
	}
	for i, n := range r.got["paris"] {
		if n != uint64(i) {
			t.Fatalf("paris frame %d is %d", i, n)
		}
	}
}

func TestParseNkeys(t *testing.T) {
	_, pub, _ := remote.GenerateNkey()
	_, pub2, _ := remote.GenerateNkey()
	m, err := natsd.ParseNkeys([]string{"paris:" + pub, " paris:" + pub2 + " ", "tokyo:" + pub2, "tokyo:" + pub2})
	if err != nil || !slices.Equal(m[pub], []string{"paris"}) || !slices.Equal(m[pub2], []string{"paris", "tokyo"}) {
		t.Fatalf("%v, %v", m, err)
	}
	for _, bad := range [][]string{{pub}, {"par is:" + pub}, {"paris:" + pub[:20]}, {"paris:N" + pub[1:]}} {
		if _, err := natsd.ParseNkeys(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
