// Command harness runs a real Kubernetes control plane on loopback for
// kubexec's end-to-end tests: embedded etcd, kube-apiserver v1.37.2 from
// k8s.io/kubernetes, and a kubelet stand-in built on the kubelet's CRI
// streaming server whose containers are local processes.
//
// It prints one JSON line on stdout when the cluster is ready (server URL,
// kubeconfig paths, pod names, pid) and runs until SIGTERM or SIGINT, or
// until its parent process goes away. Logs go to stderr.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
)

// readyLine is what the harness prints once the cluster can be used.
type readyLine struct {
	Ready       bool              `json:"ready"`
	Server      string            `json:"server"`
	Namespace   string            `json:"namespace"`
	RunDir      string            `json:"runDir"`
	CAFile      string            `json:"caFile"`
	Kubeconfigs map[string]string `json:"kubeconfigs"`
	Pid         int               `json:"pid"`
	KubeletPort int               `json:"kubeletPort"`
	EtcdURL     string            `json:"etcdURL"`
	StartupMs   int64             `json:"startupMs"`
	*clusterObjects
}

func randomToken(prefix string) (string, error) {
	buffer := make([]byte, 16)
	if _, err := rand.Read(buffer); err != nil {
		return "", err
	}
	return prefix + "-" + hex.EncodeToString(buffer), nil
}

// watchParent ends the harness when the process that started it is gone,
// so an interrupted driver cannot leave a control plane running.
func watchParent(ctx context.Context) {
	parent := os.Getppid()
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			if os.Getppid() != parent {
				_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
				return
			}
		}
	}
}

func run() error {
	started := time.Now()
	runDir := flag.String("run-dir", "", "directory for certificates, etcd data, kubeconfigs and pod working directories (required)")
	verbosity := flag.String("v", "0", "kube-apiserver log verbosity")
	flag.Parse()
	if *runDir == "" {
		return fmt.Errorf("--run-dir is required")
	}
	dir, err := filepath.Abs(*runDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}

	pki, err := newClusterPKI(filepath.Join(dir, "pki"))
	if err != nil {
		return err
	}
	etcd, etcdURL, err := startEtcd(filepath.Join(dir, "etcd"))
	if err != nil {
		return err
	}
	defer etcd.Close()

	ctx, cancel := context.WithCancel(context.Background())
	go watchParent(ctx)
	runtime := newLocalRuntime(ctx)
	// Cancel first, so that no main process is restarted after the kill.
	defer func() {
		cancel()
		runtime.shutdown()
	}()
	kubelet, err := startKubelet(runtime, pki)
	if err != nil {
		return err
	}
	defer kubelet.stop()

	tokens := map[string]string{}
	var users []staticUser
	for _, name := range []string{"alice", "viewer", "nobody"} {
		token, err := randomToken(name)
		if err != nil {
			return err
		}
		tokens[name] = token
		users = append(users, staticUser{token: token, name: name, uid: "uid-" + name, groups: []string{"e2e-users"}})
	}
	issuer, err := startOIDCIssuer(pki)
	if err != nil {
		return err
	}
	defer issuer.server.Close()
	port, err := freeLoopbackPort()
	if err != nil {
		return err
	}
	server := fmt.Sprintf("https://127.0.0.1:%d", port)
	apiserverDone := make(chan error, 1)
	settings := apiserverSettings{
		dir: dir, etcdURL: etcdURL, port: port, pki: pki, tokens: users,
		verbosity: *verbosity, tokensFile: filepath.Join(dir, "tokens.csv"), oidcIssuer: issuer.url,
	}
	if err := runAPIServer(settings, apiserverDone); err != nil {
		return err
	}
	config := adminRestConfig(server, pki)
	if err := waitForReady(ctx, config, apiserverDone); err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	objects, err := populate(ctx, client, runtime, dir, kubelet.port)
	if err != nil {
		return err
	}
	kubeconfigs, err := writeKubeconfigs(dir, server, pki, tokens, issuer)
	if err != nil {
		return err
	}
	line, err := json.Marshal(readyLine{
		Ready: true, Server: server, Namespace: namespace, RunDir: dir, CAFile: pki.ca.certFile,
		Kubeconfigs: kubeconfigs, Pid: os.Getpid(), KubeletPort: kubelet.port, EtcdURL: etcdURL,
		StartupMs: time.Since(started).Milliseconds(), clusterObjects: objects,
	})
	if err != nil {
		return err
	}
	fmt.Println(string(line))

	if err := <-apiserverDone; err != nil {
		return fmt.Errorf("kube-apiserver: %w", err)
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "harness: %v\n", err)
		os.Exit(1)
	}
}
