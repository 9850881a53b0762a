package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// Key format: KeyPrefix followed by the unpadded base64url encoding of
// 32 random bytes (43 characters), 47 characters in all.
const (
	KeyPrefix     = "alk_"
	keyRandomSize = 32
	keyBodyLength = 43
	KeyLength     = len(KeyPrefix) + keyBodyLength

	// displayPrefixLength is how many characters after KeyPrefix are kept
	// in the stored display prefix.
	displayPrefixLength = 8
)

// NewKey is a freshly generated API key. Plaintext is shown to its owner
// once and never stored; Hash and Prefix are what the database keeps.
type NewKey struct {
	Plaintext string
	Hash      string
	Prefix    string
}

// GenerateKey returns a new random API key with its hash and display prefix.
func GenerateKey() (NewKey, error) {
	raw := make([]byte, keyRandomSize)
	if _, err := rand.Read(raw); err != nil {
		return NewKey{}, fmt.Errorf("reading random bytes for an API key: %w", err)
	}
	plaintext := KeyPrefix + base64.RawURLEncoding.EncodeToString(raw)
	return NewKey{
		Plaintext: plaintext,
		Hash:      HashKey(plaintext),
		Prefix:    DisplayPrefix(plaintext),
	}, nil
}

// HashKey returns the lowercase hex SHA-256 of the whole key string,
// including its "alk_" prefix. A slow KDF adds nothing for 256-bit random
// keys, and SHA-256 keeps verification O(1) per request.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// DisplayPrefix returns "alk_" plus the first eight characters after it: the
// part of a key that may be shown in listings and logs.
func DisplayPrefix(key string) string {
	body := strings.TrimPrefix(key, KeyPrefix)
	if len(body) > displayPrefixLength {
		body = body[:displayPrefixLength]
	}
	return KeyPrefix + body
}

// WellFormed reports whether s has the shape of an API key: the "alk_"
// prefix, the right length and only base64url characters. It lets the
// server reject garbage without a database lookup.
func WellFormed(s string) bool {
	if len(s) != KeyLength || !strings.HasPrefix(s, KeyPrefix) {
		return false
	}
	for _, c := range s[len(KeyPrefix):] {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}
