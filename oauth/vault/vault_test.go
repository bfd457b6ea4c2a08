package vault

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func b64(raw []byte) string { return base64.StdEncoding.EncodeToString(raw) }

func mustNew(t *testing.T, keys ...[]byte) *Keyring {
	t.Helper()
	k, err := New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpenRoundTrip(t *testing.T) {
	k := mustNew(t, testKey(1))
	for _, plain := range [][]byte{nil, {}, []byte("x"), bytes.Repeat([]byte("secret "), 1000)} {
		sealed, err := k.Seal(plain, []byte("grant:g1"))
		if err != nil {
			t.Fatal(err)
		}
		if len(plain) > 3 && bytes.Contains(sealed, plain[:4]) {
			t.Fatal("sealed value contains the plaintext")
		}
		got, err := k.Open(sealed, []byte("grant:g1"))
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Open = %q, %v; want %q", got, err, plain)
		}
	}
	a, _ := k.Seal([]byte("same"), nil)
	b, _ := k.Seal([]byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are identical (nonce reuse)")
	}
}

func TestOpenRefusesOtherADAndTampering(t *testing.T) {
	k := mustNew(t, testKey(1))
	sealed, _ := k.Seal([]byte("token-value"), []byte("grant:g1"))
	for _, ad := range [][]byte{[]byte("grant:g2"), nil, []byte("grant:g1 ")} {
		if _, err := k.Open(sealed, ad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Open with ad %q: err = %v, want ErrInvalid", ad, err)
		}
	}
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		_, err := k.Open(bad, []byte("grant:g1"))
		if err == nil {
			t.Fatalf("flipping byte %d was not detected", i)
		}
		if i >= headerSize && !errors.Is(err, ErrInvalid) {
			t.Fatalf("byte %d: err = %v, want ErrInvalid", i, err)
		}
	}
	for _, short := range [][]byte{nil, sealed[:1], sealed[:overhead-1]} {
		if _, err := k.Open(short, []byte("grant:g1")); !errors.Is(err, ErrInvalid) {
			t.Errorf("Open of %d bytes: err = %v", len(short), err)
		}
	}
}

func TestRotation(t *testing.T) {
	old := mustNew(t, testKey(1))
	sealedOld, _ := old.Seal([]byte("v1"), []byte("ad"))

	rotated := mustNew(t, testKey(2), testKey(1))
	if got, err := rotated.Open(sealedOld, []byte("ad")); err != nil || string(got) != "v1" {
		t.Fatalf("rotated ring cannot open the old value: %q, %v", got, err)
	}
	if rotated.IsCurrent(sealedOld) {
		t.Fatal("a value sealed with the old key counts as current")
	}
	sealedNew, _ := rotated.Seal([]byte("v2"), []byte("ad"))
	if !rotated.IsCurrent(sealedNew) {
		t.Fatal("a value sealed with the first key is not current")
	}
	if _, err := old.Open(sealedNew, []byte("ad")); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old ring opening a new value: err = %v, want ErrUnknownKey", err)
	}
	retired := mustNew(t, testKey(2))
	if _, err := retired.Open(sealedOld, []byte("ad")); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("after retiring the old key: err = %v, want ErrUnknownKey", err)
	}
	if ids := rotated.KeyIDs(); len(ids) != 2 || ids[1] != old.KeyIDs()[0] || ids[0] == ids[1] {
		t.Fatalf("key IDs = %v (old ring %v)", ids, old.KeyIDs())
	}
}

func TestParse(t *testing.T) {
	k1, k2 := testKey(1), testKey(2)
	encodings := []string{
		base64.StdEncoding.EncodeToString(k1), base64.RawStdEncoding.EncodeToString(k1),
		base64.URLEncoding.EncodeToString(k1), base64.RawURLEncoding.EncodeToString(k1),
	}
	want := mustNew(t, k1).KeyIDs()[0]
	for _, enc := range encodings {
		k, err := Parse(" " + enc + "\n")
		if err != nil || k.KeyIDs()[0] != want {
			t.Errorf("Parse(%q) = %v, %v", enc, k, err)
		}
	}
	k, err := ParseList(b64(k2) + ", " + b64(k1) + "\n")
	if err != nil || len(k.KeyIDs()) != 2 || k.KeyIDs()[1] != want {
		t.Fatalf("ParseList = %v, %v", k, err)
	}

	secret := b64(bytes.Repeat([]byte{7}, 16))
	tests := []struct {
		name string
		keys []string
		want string
	}{
		{"none", nil, "at least one key"},
		{"empty", []string{""}, "key 1: empty key"},
		{"not base64", []string{b64(k1), "not*base64!"}, "key 2: not valid base64"},
		{"too short", []string{secret}, "key 1: decodes to 16 bytes, want 32"},
		{"duplicate", []string{b64(k1), b64(k2), b64(k1)}, "key 3 is listed twice"},
		{"zero key", []string{b64(make([]byte, KeySize))}, "all zero"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.keys...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatal("error message contains the key")
			}
		})
	}
	if _, err := ParseList(" , \n"); err == nil {
		t.Fatal("an empty list was accepted")
	}
}

func TestKeysNeverPrinted(t *testing.T) {
	raw := testKey(9)
	k := mustNew(t, raw)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		if strings.Contains(s, b64(raw)) || strings.Contains(s, fmt.Sprintf("%x", raw)) || strings.Contains(s, string(raw)) {
			t.Fatalf("printed keyring reveals the key: %s", s)
		}
	}
}

func TestGenerateKey(t *testing.T) {
	a, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateKey()
	if a == b {
		t.Fatal("two generated keys are equal")
	}
	if _, err := Parse(a, b); err != nil {
		t.Fatalf("generated keys do not parse: %v", err)
	}
}

// FuzzOpen checks that arbitrary input never panics and never opens, and
// that a sealed value of any plaintext and associated data round-trips.
func FuzzOpen(f *testing.F) {
	k, err := New(testKey(3), testKey(4))
	if err != nil {
		f.Fatal(err)
	}
	seed, _ := k.Seal([]byte("plain"), []byte("ad"))
	f.Add(seed, []byte("plain"), []byte("ad"))
	f.Add([]byte{formatV1}, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, input, plain, ad []byte) {
		// Only the seed (sealed in whichever process built the corpus) may
		// open; anything else opening would be a GCM forgery.
		if got, err := k.Open(input, ad); err == nil && (string(got) != "plain" || string(ad) != "ad") {
			t.Fatalf("input %x opened to %q", input, got)
		}
		sealed, err := k.Seal(plain, ad)
		if err != nil {
			t.Fatal(err)
		}
		got, err := k.Open(sealed, ad)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("round trip = %q, %v", got, err)
		}
	})
}

func BenchmarkSealOpen(b *testing.B) {
	k, err := New(testKey(1), testKey(2))
	if err != nil {
		b.Fatal(err)
	}
	plain := bytes.Repeat([]byte("t"), 600) // a credential with two JWTs
	ad := []byte("grant:0f8fad5b-d9cb-469f-a165-70867728950e")
	b.ReportAllocs()
	for b.Loop() {
		sealed, err := k.Seal(plain, ad)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := k.Open(sealed, ad); err != nil {
			b.Fatal(err)
		}
	}
}
