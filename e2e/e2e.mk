# e2e targets; included from the top-level Makefile (`include e2e/e2e.mk`),
# which provides `build` (npm ci + npm run build).
#
#   make e2e        build the control-plane binaries (cached), bring the real
#                   plane up, run every e2e test, bring it down
#   make e2e-up     bring the plane up and keep it until Ctrl-C (prints kubeconfig)
#   make e2e-tools  only build/cache kube-apiserver & co. and etcd
#   make kind-up / deploy / kind-down   for users with Docker (not used by CI)

E2E_INSTALL := e2e/tools/install-control-plane.sh
KIND_CLUSTER ?= govc
IMAGE_TAG ?= dev

.PHONY: e2e e2e-up e2e-tools images kind-up deploy kind-down

e2e-tools:
	bash $(E2E_INSTALL)

e2e: build e2e-tools
	node dist/e2e/harness/run-e2e.js

e2e-up: build e2e-tools
	node dist/e2e/harness/run-e2e.js --up

images:
	docker build -f agent/Dockerfile -t govc/agent:$(IMAGE_TAG) .
	docker build -f operator/Dockerfile -t govc/operator:$(IMAGE_TAG) .

kind-up:
	kind get clusters | grep -qx '$(KIND_CLUSTER)' || \
	  kind create cluster --name $(KIND_CLUSTER) --config e2e/kind-config.yaml

deploy: kind-up images
	kind load docker-image --name $(KIND_CLUSTER) govc/agent:$(IMAGE_TAG) govc/operator:$(IMAGE_TAG)
	kubectl --context kind-$(KIND_CLUSTER) apply -f crds/
	kubectl --context kind-$(KIND_CLUSTER) apply -k manifests/

kind-down:
	kind delete cluster --name $(KIND_CLUSTER)
