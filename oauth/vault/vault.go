// Package vault encrypts small secrets at rest — the upstream credentials the
// authorization server keeps with each grant — under a keyring that supports
// key rotation.
//
// Keys are 32 random bytes (AES-256), given base64-encoded; generate one with
// GenerateKey or `openssl rand -base64 32`. Passphrases are deliberately not
// accepted: a low-entropy phrase would need a slow key derivation to be safe,
// and a random key from a secret store needs none.
//
// A sealed value is
//
//	version (1 byte) | key ID (4 bytes) | nonce (12 bytes) | AES-GCM ciphertext and tag
//
// The first key of the ring seals; every key opens, chosen by the key ID, so
// rotating means putting a new key first and dropping the old one once every
// value sealed with it has expired or been re-sealed (IsCurrent tells). The
// caller's associated data (e.g. "grant:<id>") is authenticated together with
// the header, so a value copied to another record does not open.
package vault

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a key in bytes.
const KeySize = 32

const (
	formatV1   byte = 1
	idSize          = 4
	nonceSize       = 12
	headerSize      = 1 + idSize
	overhead        = headerSize + nonceSize + 16 // + GCM tag
)

// ErrUnknownKey is returned by Open for a value sealed with a key that is not
// in the keyring (it was removed too early, or the value is foreign).
var ErrUnknownKey = errors.New("vault: sealed with a key that is not in the keyring")

// ErrInvalid is returned by Open for a value that is malformed, was altered,
// or was sealed for other associated data.
var ErrInvalid = errors.New("vault: sealed value is malformed, altered or bound to other data")

type keyID [idSize]byte

// Keyring seals with its first key and opens with any of its keys. It is
// safe for concurrent use.
type Keyring struct {
	primary keyID
	aeads   map[keyID]cipher.AEAD
	order   []keyID
}

// New returns a keyring of raw keys, the first of which seals. Every key must
// be KeySize bytes; duplicates and all-zero placeholder keys are refused.
func New(keys ...[]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("vault: at least one key is required")
	}
	k := &Keyring{aeads: make(map[keyID]cipher.AEAD, len(keys))}
	for i, raw := range keys {
		if len(raw) != KeySize {
			return nil, fmt.Errorf("vault: key %d is %d bytes, want %d", i+1, len(raw), KeySize)
		}
		if bytes.Equal(raw, make([]byte, KeySize)) {
			return nil, fmt.Errorf("vault: key %d is all zero bytes; generate a random key", i+1)
		}
		id := deriveID(raw)
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("vault: key %d is listed twice (or collides with another key's ID %x)", i+1, id[:])
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("vault: key %d: %w", i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("vault: key %d: %w", i+1, err)
		}
		k.aeads[id] = aead
		k.order = append(k.order, id)
	}
	k.primary = k.order[0]
	return k, nil
}

// Parse returns a keyring of base64-encoded keys (standard or URL alphabet,
// with or without padding), the first of which seals. Error messages name
// the key by position only, never its text.
func Parse(encoded ...string) (*Keyring, error) {
	raws := make([][]byte, 0, len(encoded))
	for i, e := range encoded {
		raw, err := decodeKey(strings.TrimSpace(e))
		if err != nil {
			return nil, fmt.Errorf("vault: key %d: %w", i+1, err)
		}
		raws = append(raws, raw)
	}
	return New(raws...)
}

// ParseList is Parse for a single setting (flag or environment variable)
// holding the keys separated by commas, spaces or newlines, newest first.
func ParseList(list string) (*Keyring, error) {
	fields := strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	return Parse(fields...)
}

func decodeKey(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty key")
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(s); err == nil {
			if len(raw) != KeySize {
				return nil, fmt.Errorf("decodes to %d bytes, want %d (generate one with `openssl rand -base64 32`)", len(raw), KeySize)
			}
			return raw, nil
		}
	}
	return nil, errors.New("not valid base64 (generate one with `openssl rand -base64 32`)")
}

// GenerateKey returns a new random key, base64-encoded (standard alphabet).
func GenerateKey() (string, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("vault: generate key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

// deriveID names a key without revealing it: HMAC-SHA256 keyed by the key.
func deriveID(raw []byte) keyID {
	m := hmac.New(sha256.New, raw)
	m.Write([]byte("specgate vault key id"))
	var id keyID
	copy(id[:], m.Sum(nil))
	return id
}

// Seal encrypts plaintext with the first key, binding it to ad.
func (k *Keyring) Seal(plaintext, ad []byte) ([]byte, error) {
	out := make([]byte, headerSize+nonceSize, overhead+len(plaintext))
	out[0] = formatV1
	copy(out[1:headerSize], k.primary[:])
	if _, err := rand.Read(out[headerSize:]); err != nil {
		return nil, fmt.Errorf("vault: nonce: %w", err)
	}
	return k.aeads[k.primary].Seal(out, out[headerSize:], plaintext, fullAD(out[:headerSize], ad)), nil
}

// Open decrypts a value sealed by any key of the ring for the same ad. It
// fails with ErrUnknownKey or ErrInvalid (use errors.Is).
func (k *Keyring) Open(sealed, ad []byte) ([]byte, error) {
	if len(sealed) < overhead || sealed[0] != formatV1 {
		return nil, ErrInvalid
	}
	var id keyID
	copy(id[:], sealed[1:headerSize])
	aead, ok := k.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w (key ID %x)", ErrUnknownKey, id[:])
	}
	nonce := sealed[headerSize : headerSize+nonceSize]
	plain, err := aead.Open(nil, nonce, sealed[headerSize+nonceSize:], fullAD(sealed[:headerSize], ad))
	if err != nil {
		return nil, ErrInvalid
	}
	return plain, nil
}

// IsCurrent reports whether sealed was sealed with the ring's first key;
// callers re-seal other values so old keys can be retired.
func (k *Keyring) IsCurrent(sealed []byte) bool {
	return len(sealed) >= headerSize && sealed[0] == formatV1 && bytes.Equal(sealed[1:headerSize], k.primary[:])
}

// KeyIDs returns the hex IDs of the keys, first (sealing) key first. They
// are safe to log and identify keys across replicas.
func (k *Keyring) KeyIDs() []string {
	ids := make([]string, len(k.order))
	for i, id := range k.order {
		ids[i] = hex.EncodeToString(id[:])
	}
	return ids
}

// String describes the ring without revealing any key.
func (k *Keyring) String() string {
	return fmt.Sprintf("vault.Keyring(%d keys, sealing with %s)", len(k.order), hex.EncodeToString(k.primary[:]))
}

// GoString is String, so %#v does not print key material either.
func (k *Keyring) GoString() string { return k.String() }

// fullAD authenticates the header together with the caller's data; the
// length prefix keeps (header, ad) pairs unambiguous.
func fullAD(header, ad []byte) []byte {
	out := make([]byte, 0, len(header)+4+len(ad))
	out = append(out, header...)
	out = append(out, byte(len(ad)>>24), byte(len(ad)>>16), byte(len(ad)>>8), byte(len(ad)))
	return append(out, ad...)
}
