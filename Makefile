# eks_hybrid.nodes — the two commands a new machine needs are `make demo` and `make test` (as root).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
LABCTL  := $(PY) lab/labctl.py
HOSTS   ?= 3
PYTEST_ARGS ?=

.PHONY: help deps demo lab-up lab-down lab-status test

help:
	@echo "make demo   - start the local lab and join $(HOSTS) lab machines to the lab EKS cluster"
	@echo "make test   - run every test (unit, lab, end-to-end, ecosystem); tears the lab down afterwards"
	@echo "make lab-down / lab-status - stop or inspect the lab"

deps:
	@bash lab/deps.sh

lab-up: deps
	@$(LABCTL) up --hosts $(HOSTS)

lab-down:
	@if [ -x $(PY) ] && [ -f lab/labctl.py ]; then $(LABCTL) down; fi

lab-status:
	@$(LABCTL) status

demo: lab-up
	@bash lab/demo.sh

test: deps
	@bash lab/run-tests.sh $(PYTEST_ARGS)
