package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"testing"
)

var keyPattern = regexp.MustCompile(`^alk_[A-Za-z0-9_-]{43}$`)

func TestGenerateKeyFormat(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if !keyPattern.MatchString(k.Plaintext) {
		t.Errorf("key %q does not match %s", k.Plaintext, keyPattern)
	}
	if len(k.Plaintext) != KeyLength {
		t.Errorf("len(key) = %d, want %d", len(k.Plaintext), KeyLength)
	}
	sum := sha256.Sum256([]byte(k.Plaintext))
	if want := hex.EncodeToString(sum[:]); k.Hash != want {
		t.Errorf("Hash = %s, want SHA-256 of the whole key %s", k.Hash, want)
	}
	if k.Prefix != k.Plaintext[:12] {
		t.Errorf("Prefix = %q, want %q", k.Prefix, k.Plaintext[:12])
	}
	if !WellFormed(k.Plaintext) {
		t.Errorf("WellFormed(%q) = false for a generated key", k.Plaintext)
	}
}

func TestGenerateKeyUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		k, err := GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		if seen[k.Plaintext] {
			t.Fatalf("duplicate key %s", k.Prefix)
		}
		seen[k.Plaintext] = true
	}
}

func TestWellFormedRejects(t *testing.T) {
	good, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, key string
	}{
		{"empty", ""},
		{"no prefix", "xyz_" + good.Plaintext[4:]},
		{"short", good.Plaintext[:46]},
		{"long", good.Plaintext + "A"},
		{"padding", good.Plaintext[:46] + "="},
		{"standard base64 char", good.Plaintext[:46] + "+"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if WellFormed(tt.key) {
				t.Errorf("WellFormed(%q) = true", tt.key)
			}
		})
	}
}
