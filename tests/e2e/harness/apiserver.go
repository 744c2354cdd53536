package main

// apiserver.go runs the real kube-apiserver (k8s.io/kubernetes
// cmd/kube-apiserver/app, the code the kube-apiserver binary is built from)
// inside the harness process, configured entirely by command-line flags as
// an operator would.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

// staticUser is one line of the apiserver's --token-auth-file.
type staticUser struct {
	token  string
	name   string
	uid    string
	groups []string
}

// apiserverSettings are the facts the flags are made from.
type apiserverSettings struct {
	dir        string
	etcdURL    string
	port       int
	pki        *clusterPKI
	tokens     []staticUser
	verbosity  string
	tokensFile string
	oidcIssuer string
}

func writeTokenFile(path string, users []staticUser) error {
	var lines []string
	for _, u := range users {
		lines = append(lines, fmt.Sprintf("%s,%s,%s,\"%s\"", u.token, u.name, u.uid, strings.Join(u.groups, ",")))
	}
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}

func apiserverFlags(s apiserverSettings) []string {
	return []string{
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		// The endpoint reconciler refuses loopback addresses; with one
		// apiserver and no in-cluster clients the kubernetes Service
		// endpoints are not needed.
		"--endpoint-reconciler-type=none",
		fmt.Sprintf("--secure-port=%d", s.port),
		"--etcd-servers=" + s.etcdURL,
		"--etcd-prefix=/kubexec-e2e",
		"--cert-dir=" + filepath.Join(s.dir, "apiserver-certs"),
		"--tls-cert-file=" + s.pki.apiserver.certFile,
		"--tls-private-key-file=" + s.pki.apiserver.keyFile,
		"--client-ca-file=" + s.pki.ca.certFile,
		"--token-auth-file=" + s.tokensFile,
		"--authorization-mode=Node,RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + s.pki.saPubFile,
		"--service-account-signing-key-file=" + s.pki.saKeyFile,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--kubelet-client-certificate=" + s.pki.kubeletClient.certFile,
		"--kubelet-client-key=" + s.pki.kubeletClient.keyFile,
		"--kubelet-certificate-authority=" + s.pki.ca.certFile,
		"--kubelet-preferred-address-types=InternalIP",
		"--oidc-issuer-url=" + s.oidcIssuer,
		"--oidc-client-id=" + oidcClientID,
		"--oidc-ca-file=" + s.pki.ca.certFile,
		"--oidc-username-claim=sub",
		"--oidc-username-prefix=oidc:",
		"--allow-privileged=true",
		"--profiling=false",
		"--v=" + s.verbosity,
	}
}

// runAPIServer runs kube-apiserver until its signal context ends (SIGTERM
// or SIGINT to the harness) and reports how it ended on done.
func runAPIServer(s apiserverSettings, done chan<- error) error {
	if err := writeTokenFile(s.tokensFile, s.tokens); err != nil {
		return err
	}
	command := app.NewAPIServerCommand()
	command.SetArgs(apiserverFlags(s))
	go func() { done <- command.Execute() }()
	return nil
}

// adminRestConfig is a client-go config for the admin certificate.
func adminRestConfig(server string, pki *clusterPKI) *rest.Config {
	return &rest.Config{
		Host: server,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   pki.ca.certPEM,
			CertData: pki.admin.certPEM,
			KeyData:  pki.admin.keyPEM,
		},
		QPS:   100,
		Burst: 200,
	}
}

// waitForReady polls /readyz with the admin identity until the apiserver
// reports ready, or the apiserver command ends, or the deadline passes.
func waitForReady(ctx context.Context, config *rest.Config, apiserverDone <-chan error) error {
	transport, err := rest.TransportFor(config)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: transport, Timeout: 5 * time.Second}
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-apiserverDone:
			return fmt.Errorf("kube-apiserver exited before becoming ready: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		response, err := client.Get(config.Host + "/readyz")
		if err == nil {
			response.Body.Close()
			if response.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("kube-apiserver was not ready within 5 minutes")
}
