package main

// kubelet.go is the kubelet stand-in: an HTTPS server on loopback with the
// kubelet's streaming routes (/exec, /attach, /portforward). Each request is
// handled the way pkg/kubelet/server does it: parse the options with the
// streaming package, ask the CRI streaming server for a one-time URL, and
// proxy the upgrade to it (SPDY), translating WebSocket v5 requests and
// tunnelled port-forward requests with k8s.io/apiserver's translators. The
// CRI streaming server itself (k8s.io/cri-streaming, the code containerd
// and CRI-O embed) serves those URLs over our localRuntime.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"k8s.io/apimachinery/pkg/util/httpstream/wsstream"
	"k8s.io/apimachinery/pkg/util/proxy"
	translator "k8s.io/apiserver/pkg/util/proxy"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/cri-streaming/pkg/streaming"
	"k8s.io/cri-streaming/pkg/streaming/portforward"
	remotecommandserver "k8s.io/cri-streaming/pkg/streaming/remotecommand"
)

// kubeletStandIn is the running kubelet stand-in.
type kubeletStandIn struct {
	port      int
	runtime   *localRuntime
	streaming streaming.Server
	servers   []*http.Server
}

type proxyErrorResponder struct{}

func (proxyErrorResponder) Error(w http.ResponseWriter, _ *http.Request, err error) {
	http.Error(w, err.Error(), http.StatusInternalServerError)
}

// startKubelet starts the CRI streaming server on a plain loopback port (as
// container runtimes do) and the kubelet's HTTPS endpoint in front of it,
// which accepts only client certificates signed by the cluster CA.
func startKubelet(runtime *localRuntime, pki *clusterPKI) (*kubeletStandIn, error) {
	streamingListener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	config := streaming.DefaultConfig
	config.Addr = streamingListener.Addr().String()
	config.BaseURL = &url.URL{Scheme: "http", Host: config.Addr, Path: "/"}
	streamingServer, err := streaming.NewServer(config, runtime)
	if err != nil {
		streamingListener.Close()
		return nil, err
	}
	k := &kubeletStandIn{runtime: runtime, streaming: streamingServer}
	streamingHTTP := &http.Server{Handler: streamingServer}
	k.servers = append(k.servers, streamingHTTP)
	go func() { _ = streamingHTTP.Serve(streamingListener) }()

	serving, err := tls.X509KeyPair(pki.kubelet.certPEM, pki.kubelet.keyPEM)
	if err != nil {
		return nil, err
	}
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(pki.ca.cert)
	mux := http.NewServeMux()
	for _, pattern := range []string{"/exec/{namespace}/{pod}/{container}", "/exec/{namespace}/{pod}/{uid}/{container}"} {
		mux.HandleFunc(pattern, k.serveExec)
	}
	for _, pattern := range []string{"/attach/{namespace}/{pod}/{container}", "/attach/{namespace}/{pod}/{uid}/{container}"} {
		mux.HandleFunc(pattern, k.serveAttach)
	}
	for _, pattern := range []string{"/portForward/{namespace}/{pod}", "/portForward/{namespace}/{pod}/{uid}"} {
		mux.HandleFunc(pattern, k.servePortForward)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	k.port = listener.Addr().(*net.TCPAddr).Port
	kubeletHTTP := &http.Server{
		Handler: mux,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{serving},
			ClientCAs:    clientCAs,
			ClientAuth:   tls.RequireAndVerifyClientCert,
			MinVersion:   tls.VersionTLS12,
			// SPDY upgrades need HTTP/1.1.
			NextProtos: []string{"http/1.1"},
		},
	}
	k.servers = append(k.servers, kubeletHTTP)
	go func() { _ = kubeletHTTP.ServeTLS(listener, "", "") }()
	return k, nil
}

func (k *kubeletStandIn) stop() {
	for _, s := range k.servers {
		_ = s.Close()
	}
}

func (k *kubeletStandIn) podOrNotFound(w http.ResponseWriter, r *http.Request) bool {
	if !k.runtime.hasPod(r.PathValue("namespace"), r.PathValue("pod")) {
		http.Error(w, "pod does not exist", http.StatusNotFound)
		return false
	}
	return true
}

// proxyRemoteCommand proxies an exec or attach upgrade to the streaming URL
// the CRI server handed out, like the kubelet's getExec/getAttach.
func proxyRemoteCommand(w http.ResponseWriter, r *http.Request, location string, options *remotecommandserver.Options) {
	target, err := url.Parse(location)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var handler http.Handler = proxy.NewUpgradeAwareHandler(target, nil, false, true, proxyErrorResponder{})
	if wsstream.IsWebSocketRequestWithStreamCloseProtocol(r) {
		handler = translator.NewStreamTranslatorHandler(target, nil, 0, translator.Options{
			Stdin: options.Stdin, Stdout: options.Stdout, Stderr: options.Stderr, Tty: options.TTY,
		})
	}
	handler.ServeHTTP(w, r)
}

func (k *kubeletStandIn) serveExec(w http.ResponseWriter, r *http.Request) {
	options, err := remotecommandserver.NewOptions(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !k.podOrNotFound(w, r) {
		return
	}
	response, err := k.streaming.GetExec(&runtimeapi.ExecRequest{
		ContainerId: containerID(r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")),
		Cmd:         r.URL.Query()["command"],
		Tty:         options.TTY,
		Stdin:       options.Stdin,
		Stdout:      options.Stdout,
		Stderr:      options.Stderr,
	})
	if err != nil {
		_ = streaming.WriteError(err, w)
		return
	}
	proxyRemoteCommand(w, r, response.Url, options)
}

func (k *kubeletStandIn) serveAttach(w http.ResponseWriter, r *http.Request) {
	options, err := remotecommandserver.NewOptions(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !k.podOrNotFound(w, r) {
		return
	}
	response, err := k.streaming.GetAttach(&runtimeapi.AttachRequest{
		ContainerId: containerID(r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")),
		Tty:         options.TTY,
		Stdin:       options.Stdin,
		Stdout:      options.Stdout,
		Stderr:      options.Stderr,
	})
	if err != nil {
		_ = streaming.WriteError(err, w)
		return
	}
	proxyRemoteCommand(w, r, response.Url, options)
}

// servePortForward mirrors the kubelet's getPortForward: a plain WebSocket
// request names its ports in the query (the streaming server needs them to
// lay out channels), a tunnelled one carries SPDY streams with port headers.
func (k *kubeletStandIn) servePortForward(w http.ResponseWriter, r *http.Request) {
	tunnelled := wsstream.IsWebSocketRequestWithTunnelingProtocol(r)
	options := &portforward.V4Options{}
	if !tunnelled {
		parsed, err := portforward.NewV4Options(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		options = parsed
	}
	if !k.podOrNotFound(w, r) {
		return
	}
	response, err := k.streaming.GetPortForward(&runtimeapi.PortForwardRequest{
		PodSandboxId: sandboxID(r.PathValue("namespace"), r.PathValue("pod")),
		Port:         options.Ports,
	})
	if err != nil {
		_ = streaming.WriteError(err, w)
		return
	}
	target, err := url.Parse(response.Url)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var handler http.Handler = proxy.NewUpgradeAwareHandler(target, nil, false, true, proxyErrorResponder{})
	if tunnelled {
		handler = translator.NewTunnelingHandler(handler)
	}
	handler.ServeHTTP(w, r)
}

// serveEchoPort runs a loopback TCP server standing for a process listening
// in a pod: it greets with a line naming the pod port, then echoes.
func serveEchoPort(ctx context.Context, podPort int32) (string, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	context.AfterFunc(ctx, func() { listener.Close() })
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				if _, err := fmt.Fprintf(conn, "port %d\n", podPort); err != nil {
					return
				}
				buffer := make([]byte, 32*1024)
				for {
					n, err := conn.Read(buffer)
					if n > 0 {
						if _, werr := conn.Write(buffer[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return listener.Addr().String(), nil
}
