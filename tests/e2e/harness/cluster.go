package main

// cluster.go creates the objects the e2e suite works against: namespaces,
// RBAC for the restricted user, two Nodes pointing at the kubelet stand-in,
// and Pods bound to them whose status says Running and Ready, the way a
// kubelet would report them.

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

const (
	namespace      = "e2e"
	otherNamespace = "other"
	// modernNode declares ExtendWebSocketsToKubelet, so the apiserver proxies
	// WebSocket requests to the kubelet, which translates them; legacyNode
	// does not, so the apiserver translates WebSocket to SPDY itself.
	modernNode = "node-modern"
	legacyNode = "node-legacy"
	image      = "registry.invalid/kubexec-e2e:none"
	// attachScript is the main process of the attach pod: it answers each
	// line it reads and exits on "quit" (and is then restarted).
	attachScript = `while read -r line; do echo "attach: $line"; echo "attach-err: $line" >&2; if [ "$line" = quit ]; then exit 0; fi; done`
)

// podPlan describes one pod to create.
type podPlan struct {
	namespace   string
	name        string
	node        string
	containers  []string
	command     []string
	annotations map[string]string
	labels      map[string]string
	ports       []int32
	owner       *metav1.OwnerReference
	// phase is Running unless set; a pod without a node stays Pending, as
	// it would with no scheduler to place it. Only Running pods get
	// processes.
	phase corev1.PodPhase
}

// clusterObjects records what was created, for the ready line.
type clusterObjects struct {
	Pods       map[string]string `json:"pods"`
	Deployment string            `json:"deployment"`
	Nodes      []string          `json:"nodes"`
	Ports      []int32           `json:"portForwardPorts"`
}

func containerEnv(pod, container, node string) []corev1.EnvVar {
	return []corev1.EnvVar{
		{Name: "KUBEXEC_POD", Value: pod},
		{Name: "KUBEXEC_CONTAINER", Value: container},
		{Name: "KUBEXEC_NODE", Value: node},
	}
}

func createNode(ctx context.Context, client kubernetes.Interface, name string, kubeletPort int, declared []string) error {
	node, err := client.CoreV1().Nodes().Create(ctx, &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}},
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating node %s: %w", name, err)
	}
	now := metav1.Now()
	node.Status = corev1.NodeStatus{
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: "127.0.0.1"},
			{Type: corev1.NodeHostName, Address: name},
		},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(kubeletPort)}},
		Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "kubelet stand-in is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now,
		}},
		NodeInfo:         corev1.NodeSystemInfo{KubeletVersion: "v1.37.2", OperatingSystem: "linux", Architecture: "amd64", ContainerRuntimeVersion: "kubexec-e2e://local-processes"},
		DeclaredFeatures: declared,
	}
	if _, err := client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("setting status of node %s: %w", name, err)
	}
	return nil
}

func createPod(ctx context.Context, client kubernetes.Interface, plan podPlan) (*corev1.Pod, error) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: plan.name, Namespace: plan.namespace,
			Annotations: plan.annotations, Labels: plan.labels,
		},
		Spec: corev1.PodSpec{
			NodeName:                      plan.node,
			AutomountServiceAccountToken:  ptr.To(false),
			TerminationGracePeriodSeconds: ptr.To[int64](0),
		},
	}
	if plan.owner != nil {
		pod.OwnerReferences = []metav1.OwnerReference{*plan.owner}
	}
	for i, name := range plan.containers {
		c := corev1.Container{Name: name, Image: image, Env: containerEnv(plan.name, name, plan.node)}
		if i == 0 {
			c.Command = plan.command
			// A container one can attach to with -i keeps its stdin open.
			c.Stdin = len(plan.command) > 0
			for _, port := range plan.ports {
				c.Ports = append(c.Ports, corev1.ContainerPort{ContainerPort: port, Protocol: corev1.ProtocolTCP})
			}
		}
		pod.Spec.Containers = append(pod.Spec.Containers, c)
	}
	created, err := client.CoreV1().Pods(plan.namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating pod %s/%s: %w", plan.namespace, plan.name, err)
	}
	if plan.node == "" {
		return created, nil
	}
	now := metav1.Now()
	if plan.phase == corev1.PodSucceeded {
		return setSucceeded(ctx, client, created, now)
	}
	created.Status.Phase = corev1.PodRunning
	created.Status.HostIP = "127.0.0.1"
	created.Status.HostIPs = []corev1.HostIP{{IP: "127.0.0.1"}}
	created.Status.PodIP = "127.0.0.1"
	created.Status.PodIPs = []corev1.PodIP{{IP: "127.0.0.1"}}
	created.Status.StartTime = &now
	for _, condition := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
		created.Status.Conditions = append(created.Status.Conditions, corev1.PodCondition{Type: condition, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	for _, name := range plan.containers {
		created.Status.ContainerStatuses = append(created.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: name, Ready: true, Started: ptr.To(true), Image: image, ImageID: image,
			ContainerID: "kubexec-e2e://" + containerID(plan.namespace, plan.name, name),
			State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	updated, err := client.CoreV1().Pods(plan.namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("setting status of pod %s/%s: %w", plan.namespace, plan.name, err)
	}
	return updated, nil
}

// setSucceeded reports every container as terminated with exit code 0.
func setSucceeded(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod, now metav1.Time) (*corev1.Pod, error) {
	pod.Status.Phase = corev1.PodSucceeded
	pod.Status.HostIP = "127.0.0.1"
	pod.Status.StartTime = &now
	pod.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "PodCompleted", LastTransitionTime: now},
	}
	for _, c := range pod.Spec.Containers {
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: image, ImageID: image,
			ContainerID: "kubexec-e2e://" + containerID(pod.Namespace, pod.Name, c.Name),
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 0, Reason: "Completed", StartedAt: now, FinishedAt: now,
			}},
		})
	}
	updated, err := client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("setting status of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return updated, nil
}

func createRBAC(ctx context.Context, client kubernetes.Interface) error {
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "exec-user", Namespace: namespace},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{""}, Resources: []string{"pods/exec", "pods/attach", "pods/portforward"}, Verbs: []string{"get", "create"}},
		},
	}
	if _, err := client.RbacV1().Roles(namespace).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating role: %w", err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "exec-user-alice", Namespace: namespace},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects: []rbacv1.Subject{
			{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "alice"},
			{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "oidc:carol"},
		},
	}
	if _, err := client.RbacV1().RoleBindings(namespace).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating role binding: %w", err)
	}
	// viewer may read pods but not exec into them: its denial comes from the
	// pods/exec subresource, after the client has fetched the pod.
	viewerRole := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-viewer", Namespace: namespace},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}},
	}
	if _, err := client.RbacV1().Roles(namespace).Create(ctx, viewerRole, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating role: %w", err)
	}
	viewerBinding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-viewer-viewer", Namespace: namespace},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: viewerRole.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "viewer"}},
	}
	if _, err := client.RbacV1().RoleBindings(namespace).Create(ctx, viewerBinding, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating role binding: %w", err)
	}
	return nil
}

// populate creates everything and registers each pod with the runtime.
// The port servers live as long as lifetime; API calls are bounded by a
// shorter deadline.
func populate(lifetime context.Context, client kubernetes.Interface, runtime *localRuntime, runDir string, kubeletPort int) (*clusterObjects, error) {
	ctx, cancel := context.WithTimeout(lifetime, 2*time.Minute)
	defer cancel()
	for _, ns := range []string{namespace, otherNamespace} {
		if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			return nil, fmt.Errorf("creating namespace %s: %w", ns, err)
		}
		// The service-account controller of kube-controller-manager would
		// create this; the ServiceAccount admission plugin requires it.
		if _, err := client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
			return nil, fmt.Errorf("creating service account in %s: %w", ns, err)
		}
	}
	if err := createRBAC(ctx, client); err != nil {
		return nil, err
	}
	if err := createNode(ctx, client, modernNode, kubeletPort, []string{"ExtendWebSocketsToKubelet"}); err != nil {
		return nil, err
	}
	if err := createNode(ctx, client, legacyNode, kubeletPort, nil); err != nil {
		return nil, err
	}

	deployment, replicaSet, err := createDeployment(ctx, client)
	if err != nil {
		return nil, err
	}
	webPod := replicaSet.Name + "-x7k2p"
	plans := []podPlan{
		{namespace: namespace, name: "shell", node: modernNode, containers: []string{"main"}},
		{namespace: namespace, name: "legacy", node: legacyNode, containers: []string{"main"}, ports: []int32{80, 8080}},
		{namespace: namespace, name: "multi", node: modernNode, containers: []string{"alpha", "beta"},
			annotations: map[string]string{"kubectl.kubernetes.io/default-container": "beta"}},
		{namespace: namespace, name: "multi-noanno", node: modernNode, containers: []string{"alpha", "beta"}},
		{namespace: namespace, name: "attach", node: modernNode, containers: []string{"main"}, command: []string{"sh", "-c", attachScript}},
		{namespace: namespace, name: "pf", node: modernNode, containers: []string{"main"}, ports: []int32{80, 8080}},
		{namespace: namespace, name: webPod, node: modernNode, containers: []string{"app"},
			labels: replicaSet.Spec.Template.Labels,
			owner: &metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: replicaSet.Name, UID: replicaSet.UID,
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}},
		{namespace: otherNamespace, name: "shell", node: modernNode, containers: []string{"main"}},
		{namespace: namespace, name: "done", node: modernNode, containers: []string{"main"}, phase: corev1.PodSucceeded},
		{namespace: namespace, name: "unscheduled", containers: []string{"main"}},
	}
	objects := &clusterObjects{Pods: map[string]string{}, Deployment: deployment.Name, Nodes: []string{modernNode, legacyNode}, Ports: []int32{80, 8080}}
	for _, plan := range plans {
		if _, err := createPod(ctx, client, plan); err != nil {
			return nil, err
		}
		key := plan.name
		if plan.namespace != namespace {
			key = plan.namespace + "/" + plan.name
		}
		objects.Pods[key] = plan.name
		if plan.node == "" || plan.phase == corev1.PodSucceeded {
			continue
		}
		spec := &podSpec{
			namespace: plan.namespace, name: plan.name,
			workDir: filepath.Join(runDir, "pods", plan.namespace, plan.name),
			ports:   map[int32]string{},
		}
		for i, c := range plan.containers {
			container := containerSpec{name: c}
			for _, e := range containerEnv(plan.name, c, plan.node) {
				container.env = append(container.env, e.Name+"="+e.Value)
			}
			if i == 0 {
				container.command = plan.command
			}
			spec.containers = append(spec.containers, container)
		}
		for _, port := range plan.ports {
			address, err := serveEchoPort(lifetime, port)
			if err != nil {
				return nil, err
			}
			spec.ports[port] = address
		}
		if err := runtime.addPod(spec); err != nil {
			return nil, err
		}
	}
	objects.Pods["web"] = webPod
	return objects, nil
}

// createDeployment creates the Deployment "web" and the ReplicaSet that its
// controller would have made; kube-controller-manager is not running, so the
// harness plays its part.
func createDeployment(ctx context.Context, client kubernetes.Interface) (*appsv1.Deployment, *appsv1.ReplicaSet, error) {
	labels := map[string]string{"app": "web"}
	template := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken: ptr.To(false),
			Containers:                   []corev1.Container{{Name: "app", Image: image}},
		},
	}
	deployment, err := client.AppsV1().Deployments(namespace).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: namespace, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: template,
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{
				MaxUnavailable: ptr.To(intstr.FromString("25%")), MaxSurge: ptr.To(intstr.FromString("25%")),
			}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("creating deployment: %w", err)
	}
	const hash = "5d8f7c9b6d"
	rsLabels := map[string]string{"app": "web", "pod-template-hash": hash}
	rsTemplate := template.DeepCopy()
	rsTemplate.Labels = rsLabels
	replicaSet, err := client.AppsV1().ReplicaSets(namespace).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-" + hash, Namespace: namespace, Labels: rsLabels,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: deployment.Name, UID: deployment.UID,
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}},
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: rsLabels},
			Template: *rsTemplate,
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("creating replica set: %w", err)
	}
	return deployment, replicaSet, nil
}
