# Targets are kept one per concern so that more (generate, verify, test, …)
# can be added next to them.

BIN_DIR  := _output/bin
BINARY   := $(BIN_DIR)/cicd-apiserver
DATA_DIR ?= ./.cicd-apiserver

.PHONY: build run

## build: compile the server into _output/bin/cicd-apiserver
build:
	go build -o $(BINARY) .

## run: build, then run local mode (embedded etcd, state in ./.cicd-apiserver)
run: build
	$(BINARY) local --data-dir $(DATA_DIR)
