package main

// pki.go makes the certificates one harness run needs: a cluster CA, the
// apiserver's and the kubelet stand-in's serving certificates, the client
// certificates for the admin user and for the apiserver's kubelet client,
// and the service-account signing key. Everything is written as PEM files
// into the run directory because kube-apiserver reads its TLS material from
// files named on its command line.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// keyPair is a certificate with its private key, already PEM-encoded and
// written to disk.
type keyPair struct {
	cert     *x509.Certificate
	key      *ecdsa.PrivateKey
	certPEM  []byte
	keyPEM   []byte
	certFile string
	keyFile  string
}

// clusterPKI holds every file kube-apiserver and the clients need.
type clusterPKI struct {
	ca            *keyPair
	apiserver     *keyPair
	kubelet       *keyPair
	kubeletClient *keyPair
	admin         *keyPair
	oidc          *keyPair
	saKeyFile     string
	saPubFile     string
}

func newSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
}

func writePair(dir, name string, cert *x509.Certificate, der []byte, key *ecdsa.PrivateKey) (*keyPair, error) {
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	pair := &keyPair{
		cert:     cert,
		key:      key,
		certPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:   pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		certFile: filepath.Join(dir, name+".crt"),
		keyFile:  filepath.Join(dir, name+".key"),
	}
	if err := os.WriteFile(pair.certFile, pair.certPEM, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(pair.keyFile, pair.keyPEM, 0o600); err != nil {
		return nil, err
	}
	return pair, nil
}

func newCA(dir string) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "kubexec-e2e-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return writePair(dir, "ca", cert, der, key)
}

// issue signs a leaf certificate with the CA. Serving certificates get
// loopback SANs; client certificates carry the user in CN and groups in O,
// which is how kube-apiserver's x509 authenticator reads them.
func issue(dir, name string, ca *keyPair, subject pkix.Name, serving bool) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	template := &x509.Certificate{
		SerialNumber: serial,
		Subject:      subject,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if serving {
		template.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		template.DNSNames = []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"}
		template.IPAddresses = []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1"), net.ParseIP("10.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return writePair(dir, name, cert, der, key)
}

// newClusterPKI creates the CA and every certificate under dir.
func newClusterPKI(dir string) (*clusterPKI, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ca, err := newCA(dir)
	if err != nil {
		return nil, fmt.Errorf("creating the CA: %w", err)
	}
	p := &clusterPKI{ca: ca}
	steps := []struct {
		target  **keyPair
		name    string
		subject pkix.Name
		serving bool
	}{
		{&p.apiserver, "apiserver", pkix.Name{CommonName: "kube-apiserver"}, true},
		{&p.kubelet, "kubelet", pkix.Name{CommonName: "kubelet-stand-in"}, true},
		{&p.kubeletClient, "apiserver-kubelet-client", pkix.Name{CommonName: "kube-apiserver-kubelet-client", Organization: []string{"kubeadm:cluster-admins"}}, false},
		{&p.admin, "admin", pkix.Name{CommonName: "e2e-admin", Organization: []string{"system:masters"}}, false},
		{&p.oidc, "oidc", pkix.Name{CommonName: "oidc-issuer"}, true},
	}
	for _, step := range steps {
		pair, err := issue(dir, step.name, ca, step.subject, step.serving)
		if err != nil {
			return nil, fmt.Errorf("issuing %s: %w", step.name, err)
		}
		*step.target = pair
	}
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, err
	}
	p.saKeyFile = filepath.Join(dir, "sa.key")
	p.saPubFile = filepath.Join(dir, "sa.pub")
	if err := os.WriteFile(p.saKeyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(saKey)}), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(p.saPubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o600); err != nil {
		return nil, err
	}
	return p, nil
}
