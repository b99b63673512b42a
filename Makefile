# govc — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NPM_STAMP := node_modules/.package-lock.json

.PHONY: help install build run test unit bench clean

help:
	@echo "make run    install, build and start one standalone agent (REST on 127.0.0.1:8080)"
	@echo "make test   install and start what the tests need, run every test"
	@echo "make bench  run the benchmarks (npm run bench -- <name>)"

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

test: unit

bench: build
	npm run bench

clean:
	rm -rf dist
