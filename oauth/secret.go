package oauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/ory/fosite"
	"golang.org/x/crypto/bcrypt"
)

// secretHasher stores the secrets we generate (256 random bits) as SHA-256:
// a slow password hash adds nothing to a secret nobody can guess, and bcrypt
// on every token request of a confidential client is costly. Hashes from the
// configuration (static clients) are bcrypt and still verify.
type secretHasher struct{}

var _ fosite.Hasher = secretHasher{}

const sha256Prefix = "sha256:"

var errSecretMismatch = errors.New("client secret does not match")

// Hash implements fosite.Hasher.
func (secretHasher) Hash(_ context.Context, data []byte) ([]byte, error) {
	sum := sha256.Sum256(data)
	return []byte(sha256Prefix + base64.RawStdEncoding.EncodeToString(sum[:])), nil
}

// Compare implements fosite.Hasher.
func (h secretHasher) Compare(ctx context.Context, hash, data []byte) error {
	if rest, ok := strings.CutPrefix(string(hash), sha256Prefix); ok {
		want, _ := h.Hash(ctx, data)
		if subtle.ConstantTimeCompare([]byte(sha256Prefix+rest), want) != 1 {
			return errSecretMismatch
		}
		return nil
	}
	if len(hash) == 0 {
		return errSecretMismatch
	}
	return bcrypt.CompareHashAndPassword(hash, data)
}
