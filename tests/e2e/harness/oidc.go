package main

// oidc.go is a minimal OpenID Connect issuer on loopback HTTPS, enough for
// kube-apiserver's OIDC authenticator (--oidc-issuer-url: discovery document
// and signing keys) and for a kubeconfig's oidc auth-provider (a token
// endpoint answering refresh_token grants). It stands in for an identity
// provider, which is not Kubernetes code; the apiserver's verification of
// the tokens is real.

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"time"
)

const (
	oidcClientID     = "kubexec-e2e"
	oidcClientSecret = "kubexec-e2e-secret"
	oidcKeyID        = "e2e-signing-key"
)

// oidcIssuer is the running issuer.
type oidcIssuer struct {
	url          string
	key          *rsa.PrivateKey
	refreshToken string
	server       *http.Server
}

func base64URL(data []byte) string {
	return base64.RawURLEncoding.EncodeToString(data)
}

// idToken signs an ID token for subject that expires at expiry.
func (o *oidcIssuer) idToken(subject string, expiry time.Time) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": oidcKeyID})
	if err != nil {
		return "", err
	}
	claims, err := json.Marshal(map[string]any{
		"iss": o.url,
		"aud": oidcClientID,
		"sub": subject,
		"iat": time.Now().Add(-time.Minute).Unix(),
		"exp": expiry.Unix(),
	})
	if err != nil {
		return "", err
	}
	signingInput := base64URL(header) + "." + base64URL(claims)
	digest := sha256.Sum256([]byte(signingInput))
	signature, err := rsa.SignPKCS1v15(rand.Reader, o.key, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return signingInput + "." + base64URL(signature), nil
}

func writeJSON(w http.ResponseWriter, status int, value any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(value)
}

func (o *oidcIssuer) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                o.url,
		"jwks_uri":                              o.url + "/keys",
		"token_endpoint":                        o.url + "/token",
		"authorization_endpoint":                o.url + "/authorize",
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
	})
}

func (o *oidcIssuer) serveKeys(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": oidcKeyID,
		"n": base64URL(o.key.N.Bytes()),
		"e": base64URL(big.NewInt(int64(o.key.E)).Bytes()),
	}}})
}

// serveToken answers a refresh_token grant for the one refresh token it
// issued, with a fresh ID token for carol, as an identity provider would.
func (o *oidcIssuer) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	clientID, clientSecret, hasBasic := r.BasicAuth()
	if !hasBasic {
		clientID, clientSecret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") != o.refreshToken ||
		clientID != oidcClientID || clientSecret != oidcClientSecret {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	token, err := o.idToken("carol", time.Now().Add(time.Hour))
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token, "id_token": token, "token_type": "Bearer",
		"refresh_token": o.refreshToken, "expires_in": 3600,
	})
}

// startOIDCIssuer serves the issuer with a certificate from the cluster CA.
func startOIDCIssuer(pki *clusterPKI) (*oidcIssuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	refresh, err := randomToken("refresh")
	if err != nil {
		return nil, err
	}
	serving, err := tls.X509KeyPair(pki.oidc.certPEM, pki.oidc.keyPEM)
	if err != nil {
		return nil, err
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	o := &oidcIssuer{
		url:          fmt.Sprintf("https://127.0.0.1:%d/oidc", listener.Addr().(*net.TCPAddr).Port),
		key:          key,
		refreshToken: refresh,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oidc/.well-known/openid-configuration", o.serveDiscovery)
	mux.HandleFunc("GET /oidc/keys", o.serveKeys)
	mux.HandleFunc("POST /oidc/token", o.serveToken)
	o.server = &http.Server{
		Handler:   mux,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{serving}, MinVersion: tls.VersionTLS12},
	}
	go func() { _ = o.server.ServeTLS(listener, "", "") }()
	return o, nil
}
