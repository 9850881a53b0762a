package auth

import (
	"net/http/httptest"
	"testing"
)

func TestTokenFromRequest(t *testing.T) {
	tests := []struct {
		name      string
		headers   map[string]string
		url       string
		webSocket bool
		want      string
	}{
		{"bearer", map[string]string{"Authorization": "Bearer alk_a"}, "/", false, "alk_a"},
		{"bearer lowercase scheme", map[string]string{"Authorization": "bearer alk_a"}, "/", false, "alk_a"},
		{"x-api-key", map[string]string{"X-Api-Key": "alk_b"}, "/", false, "alk_b"},
		{"bearer wins", map[string]string{"Authorization": "Bearer alk_a", "X-Api-Key": "alk_b"}, "/", false, "alk_a"},
		{"basic ignored", map[string]string{"Authorization": "Basic xyz"}, "/", false, ""},
		{"query ignored off ws", nil, "/?access_token=alk_c", false, ""},
		{"query on ws", nil, "/ws?access_token=alk_c", true, "alk_c"},
		{"subprotocol on ws", map[string]string{"Sec-WebSocket-Protocol": "alk.v1, alk.bearer.alk_d"}, "/ws", true, "alk_d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.url, nil)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			if got := TokenFromRequest(r, tt.webSocket); got != tt.want {
				t.Errorf("TokenFromRequest = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOffersSubprotocolV1(t *testing.T) {
	r := httptest.NewRequest("GET", "/ws", nil)
	r.Header.Set("Sec-WebSocket-Protocol", "alk.bearer.x, alk.v1")
	if !OffersSubprotocolV1(r) {
		t.Error("alk.v1 not detected")
	}
}
