# govc — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NPM_STAMP := node_modules/.package-lock.json

.PHONY: help install build run test unit unit-node24 bench clean

include e2e/e2e.mk

help:
	@echo "make run    install, build and start one standalone agent (REST on 127.0.0.1:8080)"
	@echo "make test   install and start what the tests need, run every test (unit tests on Node 20 and 24)"
	@echo "make bench  run the benchmarks (npm run bench -- <name>)"
	@echo "make e2e    the system against a real kube-apiserver + etcd (built from Go modules, cached)"

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NPM_STAMP)

install: $(NPM_STAMP)

build: install
	npm run build

run: build
	npm start

unit: build
	npx ava

# The same unit tests on Node 24 LTS (the machine's Node is 20): the binary comes from npm, cached by tools/install-node.sh.
NODE24_VERSION := 24.22.3
unit-node24: build
	PATH="$$(bash tools/install-node.sh $(NODE24_VERSION)):$$PATH" npx ava

test: unit unit-node24 e2e

bench: build
	npm run bench

clean:
	rm -rf dist

# Regenerates crds/*.yaml and operator/src/crd/generated-types.ts from the schemas in operator/src/crd/.
.PHONY: crds
crds: install
	npm run crds

# Regenerates the gRPC contracts' TypeScript (committed under proto/gen; needs protoc, e.g. apt-get install protobuf-compiler).
.PHONY: proto
proto: install
	rm -rf proto/gen && mkdir -p proto/gen
	protoc --plugin=protoc-gen-ts_proto=node_modules/.bin/protoc-gen-ts_proto --ts_proto_out=proto/gen \
	  --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,importSuffix=.js,env=node,forceLong=number,useOptionals=none,oneof=unions-value \
	  -I proto proto/govc/v1/admin.proto proto/govc/v1/replication.proto
