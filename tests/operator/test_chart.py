"""Helm charts: lint, template, schema-validate every object, apply to the real apiserver,
and least-privilege RBAC checked with the chart's own ServiceAccount."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from solarb_operator import strategy
from solarb_operator.kube import Cluster
from tests.operator.chart_tools import (
    CRDS,
    OPERATOR,
    ROOT,
    SCHEMA_TEMPLATE,
    apply_all,
    builtin_schemas,
    crd_schemas,
    run,
    template,
    tools,
)
from tests.operator.conftest import example
from tests.support.kube import KubeCluster

ALL_ON = (
    "--set", "metrics.serviceMonitor.enabled=true",
    "--set", "metrics.prometheusRule.enabled=true",
    "--set", "metrics.grafanaDashboard.enabled=true",
)  # fmt: skip
# No prometheus-operator CRDs exist offline: their objects get promtool / structure checks.
MONITORING = {"ServiceMonitor", "PrometheusRule"}


@pytest.fixture(scope="module")
def bindir() -> Path:
    return tools()


def test_lint_both_charts(bindir: Path) -> None:
    for chart in (OPERATOR, CRDS):
        result = run(bindir / "helm", "lint", "--strict", str(chart), *ALL_ON, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


def test_image_tag_defaults_to_the_package_version(bindir: Path) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert yaml.safe_load((OPERATOR / "Chart.yaml").read_text())["appVersion"] == version
    docs = template(bindir, OPERATOR, "solarb-system")
    deploy = next(
        d for d in docs if d["kind"] == "Deployment" and "operator" in d["metadata"]["name"]
    )
    (container,) = deploy["spec"]["template"]["spec"]["containers"]
    assert container["image"].endswith(f":{version}")
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["SOLARB_IMAGE"] == container["image"]  # strategies run the same image


@pytest.mark.parametrize(
    "values",
    [
        ("--set", "replicas=0"),
        ("--set", "redis.bundled=false"),  # no externalUrl
        ("--set", "redis.externalUrl=http://nope"),
        ("--set", "image.pullPolicy=Sometimes"),
        ("--set", "unknownKey=1"),
    ],
)
def test_values_schema_rejects_bad_values(bindir: Path, values: tuple[str, str]) -> None:
    result = run(bindir / "helm", "template", "x", str(OPERATOR), *values, check=False)
    assert result.returncode != 0
    assert "values don't meet the specifications of the schema" in result.stderr


def test_external_redis_replaces_the_bundled_one(bindir: Path) -> None:
    url = "redis://redis.example:6379/2"
    docs = template(bindir, OPERATOR, "ns", "--set", "redis.bundled=false",
                     "--set", f"redis.externalUrl={url}")  # fmt: skip
    assert not [d for d in docs if d["metadata"]["name"].endswith("-redis")]
    deploy = next(d for d in docs if d["kind"] == "Deployment")
    env = {
        e["name"]: e["value"] for e in deploy["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["SOLARB_REDIS_URL"] == url


@pytest.mark.kube
def test_every_rendered_object_validates(bindir: Path, kube: KubeCluster, tmp_path: Path) -> None:
    docs = template(bindir, OPERATOR, "solarb-system", *ALL_ON)
    docs += template(bindir, CRDS, "solarb-system")
    docs += [d for p in sorted((ROOT / "examples" / "k8s").glob("*.yaml"))
             for d in yaml.safe_load_all(p.read_text()) if d]  # fmt: skip
    kinds = {(*d["apiVersion"].rpartition("/")[::2], d["kind"]) for d in docs}
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    builtin_schemas(kube.api_client(), {(g, v, k) for g, v, k in kinds}, schemas)
    crd_schemas(schemas)
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(yaml.safe_dump_all([d for d in docs if d["kind"] not in MONITORING]))
    result = run(
        bindir / "kubeconform", "-strict", "-summary", "-output", "text",
        "-schema-location", f"{schemas}/{SCHEMA_TEMPLATE}", str(rendered), check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Valid: {len(docs) - sum(d['kind'] in MONITORING for d in docs)}" in result.stdout
    # A broken object is caught (the validation is not vacuous).
    bad = next(d for d in docs if d["kind"] == "Deployment")
    bad["spec"]["replicas"] = "two"
    rendered.write_text(yaml.safe_dump(bad))
    failing = run(bindir / "kubeconform", "-strict", "-schema-location",
                  f"{schemas}/{SCHEMA_TEMPLATE}", str(rendered), check=False)  # fmt: skip
    assert failing.returncode != 0
    # The alert rules are real PromQL (promtool), the monitors select the strategy Services.
    rule = next(d for d in docs if d["kind"] == "PrometheusRule")
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(rule["spec"]))
    check = run(Path("/usr/bin/promtool"), "check", "rules", str(rules), check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    shipped = yaml.safe_load((ROOT / "grafana" / "alerts" / "solarb.rules.yaml").read_text())
    assert rule["spec"] == shipped
    boards = next(d for d in docs if d["metadata"]["name"].endswith("-solarb-dashboards"))
    assert sorted(boards["data"]) == sorted(
        p.name for p in (ROOT / "grafana" / "dashboards").glob("*.json")
    )
    assert boards["metadata"]["labels"]["grafana_dashboard"] == "1"
    # The operator's own /metrics: a Service on the container's metrics port, monitored.
    deploy = next(
        d for d in docs if d["kind"] == "Deployment" and "operator" in d["metadata"]["name"]
    )
    pod = deploy["spec"]["template"]
    service = next(d for d in docs if d["metadata"]["name"].endswith("-operator-metrics"))
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    ports = {p["name"]: p["containerPort"] for p in pod["spec"]["containers"][0]["ports"]}
    assert service["spec"]["ports"][0]["targetPort"] == "metrics"
    env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
    assert env["SOLARB_OPERATOR_METRICS_PORT"] == str(ports["metrics"])
    operator_monitor = next(
        d
        for d in docs
        if d["kind"] == "ServiceMonitor" and d["metadata"]["name"].endswith("-operator")
    )
    assert (
        operator_monitor["spec"]["selector"]["matchLabels"].items()
        <= service["metadata"]["labels"].items()
    )
    monitor = next(d for d in docs if d["kind"] == "ServiceMonitor")
    assert monitor["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "strategy"
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"


@pytest.mark.kube
def test_chart_applies_and_rbac_is_least_privilege(
    bindir: Path, crds: KubeCluster, namespace: str
) -> None:
    kube = crds
    docs = template(bindir, OPERATOR, namespace)
    apply_all(kube, docs)
    apps = client.AppsV1Api(kube.api_client())
    deploy = apps.read_namespaced_deployment("solarb-operator", namespace)
    assert deploy.spec.replicas == 2
    sec = deploy.spec.template.spec.containers[0].security_context
    assert sec.read_only_root_filesystem is True
    assert sec.capabilities.drop == ["ALL"]

    # The operator's own ServiceAccount (created by the chart) reconciles a strategy...
    sa_config = kube.service_account_kubeconfig(namespace, "solarb-operator")
    as_operator = Cluster(kube.api_client(sa_config))
    obj = client.CustomObjectsApi(kube.api_client()).create_namespaced_custom_object(
        "solarb.io", "v1alpha1", namespace, "arbstrategies", example("arbstrategy-live.yaml")
    )
    status = strategy.reconcile(as_operator, obj, strategy.Settings(image="solarb:test"))
    assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"
    assert strategy.cleanup(as_operator, namespace, obj["metadata"]["name"]) == 4

    # ...and cannot read Secrets (the wallet is mounted into pods, never read by the operator).
    client.CoreV1Api(kube.api_client()).create_namespaced_secret(
        namespace,
        client.V1Secret(metadata=client.V1ObjectMeta(name="sol-usdc-wallet"),
                        string_data={"value": "[1,2,3]"}),
    )  # fmt: skip
    core = client.CoreV1Api(kube.api_client(sa_config))
    for call in (
        lambda: core.read_namespaced_secret("sol-usdc-wallet", namespace),
        lambda: core.list_namespaced_secret(namespace),
        core.list_secret_for_all_namespaces,
    ):
        with pytest.raises(client.ApiException) as denied:
            call()
        assert denied.value.status == 403
    review = client.AuthorizationV1Api(
        kube.api_client(sa_config)
    ).create_self_subject_access_review(
        client.V1SelfSubjectAccessReview(
            spec=client.V1SelfSubjectAccessReviewSpec(
                resource_attributes=client.V1ResourceAttributes(verb="watch", resource="secrets")
            )
        )
    )
    assert review.status.allowed is False
    # Nor can it touch Pods, RBAC, or its own CRDs' definitions.
    for verb, group, resource in (
        ("create", "", "pods"),
        ("create", "rbac.authorization.k8s.io", "clusterroles"),
        ("update", "apiextensions.k8s.io", "customresourcedefinitions"),
        ("create", "", "secrets"),
    ):
        review = client.AuthorizationV1Api(
            kube.api_client(sa_config)
        ).create_self_subject_access_review(
            client.V1SelfSubjectAccessReview(
                spec=client.V1SelfSubjectAccessReviewSpec(
                    resource_attributes=client.V1ResourceAttributes(
                        verb=verb, group=group, resource=resource, namespace=namespace
                    )
                )
            )
        )
        assert review.status.allowed is False, (verb, resource)
