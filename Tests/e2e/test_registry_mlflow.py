"""The registry driven by MLflow's own Python client (mlflow-skinny), and the events each step emits."""
import os

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException, RestException

from maestro_api import read_cloudevent
from test_bus import consume_until


@pytest.fixture
def client(registry, monkeypatch):
    url, token = registry
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token())
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    return MlflowClient(tracking_uri=url, registry_uri=url)


def error_code(excinfo) -> str:
    return excinfo.value.error_code


def test_models_versions_tags_aliases_stages_and_search(client, unique):
    name = f"e2e-fraud-{unique}"
    model = client.create_registered_model(name, tags={"team": "risk", "tier": "gold"}, description="fraud scoring")
    assert model.name == name
    assert model.tags == {"team": "risk", "tier": "gold"}
    with pytest.raises(RestException) as existing:
        client.create_registered_model(name)
    assert error_code(existing) == "RESOURCE_ALREADY_EXISTS"

    first = client.create_model_version(name, "s3://models/fraud/1", run_id="run-1", tags={"framework": "xgboost"},
                                        description="first")
    assert first.version == "1" and first.status == "READY" and first.current_stage == "None"
    second = client.create_model_version(name, "s3://models/fraud/2", run_id="run-2")
    assert second.version == "2"
    assert client.get_model_version(name, "1").tags == {"framework": "xgboost"}

    client.set_registered_model_tag(name, "owner", "ana")
    client.delete_registered_model_tag(name, "tier")
    assert client.get_registered_model(name).tags == {"team": "risk", "owner": "ana"}
    client.set_model_version_tag(name, "2", "validated", "yes")
    client.delete_model_version_tag(name, "1", "framework")
    assert client.get_model_version(name, "2").tags == {"validated": "yes"}
    assert client.get_model_version(name, "1").tags == {}

    client.transition_model_version_stage(name, "1", "Staging")
    moved = client.transition_model_version_stage(name, "2", "Staging", archive_existing_versions=True)
    assert moved.current_stage == "Staging"
    assert client.get_model_version(name, "1").current_stage == "Archived"
    assert [v.version for v in client.get_latest_versions(name, stages=["Staging"])] == ["2"]
    assert sorted((v.current_stage, v.version) for v in client.get_latest_versions(name)) == [("Archived", "1"), ("Staging", "2")]
    assert client.get_model_version_download_uri(name, "2") == "s3://models/fraud/2"

    client.set_registered_model_alias(name, "candidate", "2")
    assert client.get_model_version_by_alias(name, "candidate").version == "2"
    assert client.get_registered_model(name).aliases == {"candidate": "2"}
    client.delete_registered_model_alias(name, "candidate")
    with pytest.raises(RestException) as missing_alias:
        client.get_model_version_by_alias(name, "candidate")
    assert error_code(missing_alias) == "INVALID_PARAMETER_VALUE"

    client.update_registered_model(name, description="fraud scoring v2")
    client.update_model_version(name, "2", description="second")
    assert client.get_registered_model(name).description == "fraud scoring v2"
    assert client.get_model_version(name, "2").description == "second"

    found = client.search_model_versions(f"name='{name}' AND tags.validated = 'yes'")
    assert [v.version for v in found] == ["2"]
    assert [v.version for v in client.search_model_versions(f"name='{name}' AND run_id='run-1'")] == ["1"]


def test_search_filters_and_pages(client, unique):
    names = [f"e2e-search-{unique}-{index}" for index in range(5)]
    for index, name in enumerate(names):
        client.create_registered_model(name, tags={"team": "risk" if index % 2 == 0 else "growth", "my key": "spaced"})
    pages, token = [], None
    while True:
        page = client.search_registered_models(filter_string=f"name LIKE 'e2e-search-{unique}-%'", max_results=2, page_token=token,
                                               order_by=["name ASC"])
        pages.append([model.name for model in page])
        token = page.token
        if not token:
            break
    assert [name for page in pages for name in page] == names
    assert len(pages) == 3
    risk = client.search_registered_models(filter_string=f"name LIKE 'e2e-search-{unique}-%' AND tags.team = 'risk'")
    assert sorted(model.name for model in risk) == [names[0], names[2], names[4]]
    spaced = client.search_registered_models(filter_string=f"name ILIKE 'E2E-SEARCH-{unique}-%' AND tags.`my key` = 'spaced'")
    assert len(spaced) == 5
    descending = client.search_registered_models(filter_string=f"name LIKE 'e2e-search-{unique}-%'", order_by=["name DESC"])
    assert [model.name for model in descending] == list(reversed(names))
    with pytest.raises(MlflowException):
        client.search_registered_models(filter_string="name CONTAINS 'x'")


def test_rename_and_delete(client, unique):
    name = f"e2e-rename-{unique}"
    client.create_registered_model(name)
    client.create_model_version(name, "runs:/abc/model")
    client.rename_registered_model(name, f"{name}-new")
    assert client.get_registered_model(f"{name}-new").name == f"{name}-new"
    assert client.get_model_version(f"{name}-new", "1").source == "runs:/abc/model"
    with pytest.raises(RestException) as gone:
        client.get_registered_model(name)
    assert error_code(gone) == "RESOURCE_DOES_NOT_EXIST"
    client.delete_model_version(f"{name}-new", "1")
    with pytest.raises(RestException):
        client.get_model_version(f"{name}-new", "1")
    client.delete_registered_model(f"{name}-new")
    with pytest.raises(RestException) as deleted:
        client.get_registered_model(f"{name}-new")
    assert error_code(deleted) == "RESOURCE_DOES_NOT_EXIST"


def test_bad_input_gets_mlflow_errors(client, unique):
    with pytest.raises(RestException) as bad_name:
        client.create_registered_model("a/b")
    assert error_code(bad_name) == "INVALID_PARAMETER_VALUE"
    client.create_registered_model(f"e2e-bad-{unique}")
    with pytest.raises(RestException) as bad_source:
        client.create_model_version(f"e2e-bad-{unique}", "ftp://host/model")
    assert error_code(bad_source) == "INVALID_PARAMETER_VALUE"


def test_each_step_emits_its_cloudevent(client, brokers, unique):
    name = f"e2e-events-{unique}"
    client.create_registered_model(name)
    client.create_model_version(name, "s3://models/events/1")
    client.set_registered_model_alias(name, "candidate", "1")
    seen = []

    def collect(message):
        if message.key() != name.encode():
            return False
        event = read_cloudevent(message)
        seen.append(event)
        return event["type"] == "io.maestro.registry.alias.moved.v1"

    consume_until(brokers, "maestro.registry.events", collect)
    assert [event["type"] for event in seen] == [
        "io.maestro.registry.model.created.v1",
        "io.maestro.registry.model_version.created.v1",
        "io.maestro.registry.alias.moved.v1",
    ]
    assert all(event["source"] == "/maestro/registry" and event["tenant"] == "default" and event["authid"] == "e2e" for event in seen)
    assert seen[1].data["version"] == 1 and seen[1].data["source"] == "s3://models/events/1"
    assert seen[2].data["alias"] == "candidate" and seen[2].data["version"] == 1


def test_a_protected_alias_is_an_error_the_mlflow_client_raises(client, registry, unique):
    """Setting `champion` through MLflow does not pretend it moved: the client raises
    PERMISSION_DENIED naming the promotion that now waits for approval, and the alias stays unset."""
    import requests

    name = f"e2e-protected-{unique}"
    client.create_registered_model(name)
    client.create_model_version(name, "s3://models/protected/1")
    with pytest.raises(RestException) as pending:
        client.set_registered_model_alias(name, "champion", "1")
    assert error_code(pending) == "PERMISSION_DENIED"
    message = str(pending.value)
    assert "Approval required" in message and "champion" in message, message
    url, token = registry
    promotions = requests.get(f"{url}/v1/models/{name}/promotions", headers={"Authorization": f"Bearer {token()}"}, timeout=10).json()["items"]
    assert [p["state"] for p in promotions] == ["PENDING"]
    assert promotions[0]["id"] in message, message
    # Asking again names the same pending promotion; a look-alike is the same alias.
    with pytest.raises(RestException) as again:
        client.set_registered_model_alias(name, "Champion", "1")
    assert promotions[0]["id"] in str(again.value)
    assert client.get_registered_model(name).aliases == {}
