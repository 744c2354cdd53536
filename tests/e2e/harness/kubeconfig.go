package main

// kubeconfig.go writes one kubeconfig per user and credential type, with
// client-go's own writer so the files look exactly like the ones kubectl and
// kubeadm produce.

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

func writeKubeconfig(path, server string, pki *clusterPKI, user string, auth *clientcmdapi.AuthInfo, caFromFile bool) error {
	config := clientcmdapi.NewConfig()
	cluster := clientcmdapi.NewCluster()
	cluster.Server = server
	if caFromFile {
		cluster.CertificateAuthority = pki.ca.certFile
	} else {
		cluster.CertificateAuthorityData = pki.ca.certPEM
	}
	config.Clusters["e2e"] = cluster
	config.AuthInfos[user] = auth
	context := clientcmdapi.NewContext()
	context.Cluster = "e2e"
	context.AuthInfo = user
	context.Namespace = namespace
	config.Contexts[user+"@e2e"] = context
	config.CurrentContext = user + "@e2e"
	return clientcmd.WriteToFile(*config, path)
}

// writeKubeconfigs writes the kubeconfigs and returns their paths by name.
func writeKubeconfigs(dir, server string, pki *clusterPKI, tokens map[string]string, issuer *oidcIssuer) (map[string]string, error) {
	paths := map[string]string{}
	add := func(name, user string, auth *clientcmdapi.AuthInfo, caFromFile bool) error {
		path := filepath.Join(dir, name+".kubeconfig")
		if err := writeKubeconfig(path, server, pki, user, auth, caFromFile); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		paths[name] = path
		return nil
	}

	admin := clientcmdapi.NewAuthInfo()
	admin.ClientCertificateData = pki.admin.certPEM
	admin.ClientKeyData = pki.admin.keyPEM
	if err := add("admin", "e2e-admin", admin, false); err != nil {
		return nil, err
	}
	adminFiles := clientcmdapi.NewAuthInfo()
	adminFiles.ClientCertificate = pki.admin.certFile
	adminFiles.ClientKey = pki.admin.keyFile
	if err := add("admin-files", "e2e-admin", adminFiles, true); err != nil {
		return nil, err
	}

	for _, user := range []string{"alice", "viewer", "nobody"} {
		auth := clientcmdapi.NewAuthInfo()
		auth.Token = tokens[user]
		if err := add(user, user, auth, false); err != nil {
			return nil, err
		}
	}

	tokenFile := filepath.Join(dir, "alice.token")
	if err := os.WriteFile(tokenFile, []byte(tokens["alice"]+"\n"), 0o600); err != nil {
		return nil, err
	}
	fromFile := clientcmdapi.NewAuthInfo()
	fromFile.TokenFile = tokenFile
	if err := add("alice-tokenfile", "alice", fromFile, false); err != nil {
		return nil, err
	}

	plugin := filepath.Join(dir, "alice-credential-plugin.sh")
	script := fmt.Sprintf("#!/bin/sh\n# ExecCredential plugin used by the e2e suite: prints alice's token.\n"+
		"printf '%%s' '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"}}'\n", tokens["alice"])
	if err := os.WriteFile(plugin, []byte(script), 0o700); err != nil {
		return nil, err
	}
	viaPlugin := clientcmdapi.NewAuthInfo()
	viaPlugin.Exec = &clientcmdapi.ExecConfig{
		APIVersion:      "client.authentication.k8s.io/v1",
		Command:         plugin,
		InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
	}
	if err := add("alice-exec", "alice", viaPlugin, false); err != nil {
		return nil, err
	}

	// carol signs in through the OIDC issuer: once with a valid ID token,
	// once with an expired one that the client must refresh at the token
	// endpoint (kubectl then writes the new token back into the file).
	valid, err := issuer.idToken("carol", time.Now().Add(24*time.Hour))
	if err != nil {
		return nil, err
	}
	expired, err := issuer.idToken("carol", time.Now().Add(-time.Hour))
	if err != nil {
		return nil, err
	}
	for name, token := range map[string]string{"carol-oidc": valid, "carol-oidc-refresh": expired} {
		oidc := clientcmdapi.NewAuthInfo()
		oidc.AuthProvider = &clientcmdapi.AuthProviderConfig{Name: "oidc", Config: map[string]string{
			"idp-issuer-url":            issuer.url,
			"client-id":                 oidcClientID,
			"client-secret":             oidcClientSecret,
			"id-token":                  token,
			"refresh-token":             issuer.refreshToken,
			"idp-certificate-authority": pki.ca.certFile,
		}}
		if err := add(name, "carol", oidc, false); err != nil {
			return nil, err
		}
	}
	return paths, nil
}
