package auth

import (
	"net/http"
	"strings"
)

// WebSocket subprotocols: a browser that cannot set headers offers
// "alk.v1, alk.bearer.<key>"; the hub selects SubprotocolV1.
const (
	SubprotocolV1           = "alk.v1"
	subprotocolBearerPrefix = "alk.bearer."
)

// TokenFromRequest returns the API key a request carries, checked in this
// order: "Authorization: Bearer <key>", then "x-api-key". With
// webSocketForms set, it also accepts the "alk.bearer.<key>" subprotocol and
// the access_token query parameter, which browsers use for WebSocket
// upgrades. It returns "" when none is present.
func TokenFromRequest(r *http.Request, webSocketForms bool) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(token)
		}
	}
	if k := r.Header.Get("X-Api-Key"); k != "" {
		return strings.TrimSpace(k)
	}
	if !webSocketForms {
		return ""
	}
	for _, p := range websocketProtocols(r) {
		if token, ok := strings.CutPrefix(p, subprotocolBearerPrefix); ok {
			return token
		}
	}
	return r.URL.Query().Get("access_token")
}

// OffersSubprotocolV1 reports whether a WebSocket upgrade request offers
// the "alk.v1" subprotocol.
func OffersSubprotocolV1(r *http.Request) bool {
	for _, p := range websocketProtocols(r) {
		if p == SubprotocolV1 {
			return true
		}
	}
	return false
}

func websocketProtocols(r *http.Request) []string {
	var out []string
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
