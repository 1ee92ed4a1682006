#!/usr/bin/env python3
"""Writes a GitOps repository with one base and three overlays holding N HTTPRoutes.

    generate.py N DIR

base/       N HTTPRoutes (with their Services), a Gateway, a ConfigMap generator
overlays/   staging, production, canary: each a namePrefix, labels, annotations, a strategic
            merge patch and a JSON 6902 patch over every HTTPRoute, and an image-free ConfigMap merge.
"""
import os
import sys

n = int(sys.argv[1])
root = sys.argv[2]
os.makedirs(os.path.join(root, "base"), exist_ok=True)

routes = []
for i in range(n):
    routes.append(f"""apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: route-{i}
  labels:
    app: shop
    route: r{i}
spec:
  parentRefs:
  - name: public
    sectionName: https
  hostnames:
  - shop-{i}.example.com
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /api/{i}
      headers:
      - name: x-tenant
        value: tenant-{i % 17}
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        add:
        - name: x-route
          value: "{i}"
    backendRefs:
    - name: svc-{i}
      port: 80
      weight: 90
    - name: svc-{i}-canary
      port: 80
      weight: 10
""")
services = []
for i in range(n):
    for suffix in ("", "-canary"):
        services.append(f"""apiVersion: v1
kind: Service
metadata:
  name: svc-{i}{suffix}
spec:
  selector:
    app: shop
    route: r{i}
  ports:
  - port: 80
    targetPort: 8080
""")
with open(os.path.join(root, "base", "routes.yaml"), "w") as f:
    f.write("---\n".join(routes))
with open(os.path.join(root, "base", "services.yaml"), "w") as f:
    f.write("---\n".join(services))
with open(os.path.join(root, "base", "gateway.yaml"), "w") as f:
    f.write("""apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: public
spec:
  gatewayClassName: sluice
  listeners:
  - name: https
    protocol: HTTPS
    port: 443
    tls:
      certificateRefs:
      - name: shop-tls
""")
with open(os.path.join(root, "base", "kustomization.yaml"), "w") as f:
    f.write("""resources:
- gateway.yaml
- routes.yaml
- services.yaml
configMapGenerator:
- name: routing
  literals:
  - mode=weighted
""")

for overlay, weight in (("staging", 50), ("production", 100), ("canary", 0)):
    directory = os.path.join(root, "overlays", overlay)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "kustomization.yaml"), "w") as f:
        f.write(f"""namePrefix: {overlay}-
namespace: shop-{overlay}
labels:
- pairs:
    env: {overlay}
    team: shop
commonAnnotations:
  sluice.dev/overlay: {overlay}
resources:
- ../../base
configMapGenerator:
- name: routing
  behavior: merge
  literals:
  - overlay={overlay}
patches:
- target:
    kind: HTTPRoute
  patch: |-
    apiVersion: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    metadata:
      name: any
      annotations:
        sluice.dev/managed: "true"
    spec:
      parentRefs:
      - name: public
        sectionName: https-{overlay}
- target:
    kind: HTTPRoute
    labelSelector: app=shop
  patch: |-
    - op: replace
      path: /spec/rules/0/backendRefs/0/weight
      value: {weight}
    - op: replace
      path: /spec/rules/0/backendRefs/1/weight
      value: {100 - weight}
""")
