"""Tokens and the role rules of the contract."""

from freezegun import freeze_time

from service.cli import main
from service.storage.models import ApiToken


def test_no_token_or_a_bad_one_is_401(client, tokens):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": tokens["admin"]}):
        r = client.get("/api/v1/incidents", headers=headers)
        assert r.status_code == 401
        assert r.get_json()["code"] == 401
        assert r.headers["WWW-Authenticate"] == "Bearer"


def test_health_and_openapi_need_no_token(client):
    assert client.get("/health").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200


def test_reads_are_open_to_every_role(api):
    for role in ("admin", "investigator", "oversight", "importer"):
        assert api.get("/incidents", role=role).status_code == 200


def test_writes_are_for_admin_and_investigator(api):
    body = {"code": "CBP", "name": "CBP"}
    assert api.post("/agencies", json=body, role="oversight").status_code == 403
    assert api.post("/agencies", json=body, role="importer").status_code == 403
    assert api.get("/agencies/CBP").status_code == 404  # nothing was written
    assert api.post("/agencies", json=body, role="investigator").status_code == 201
    r = api.post("/agencies", json={"code": "ICE", "name": "ICE"}, role="admin")
    assert r.status_code == 201


def test_unknown_path_with_a_token_is_404_json(api):
    r = api.get("/no-such-thing")
    assert r.status_code == 404 and r.get_json()["code"] == 404


def test_tokens_are_stored_hashed(app, tokens):
    stored = {t.token_hash for t in ApiToken.select()}
    assert len(stored) == 4
    for token in tokens.values():
        assert token not in stored
        assert all(token not in h for h in stored)


def test_cli_create_prints_only_the_token_and_it_works(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["tokens", "create", "--name", "ana", "--role", "oversight"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("evi_") and "\n" not in token
    assert (
        client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    listed = runner.invoke(main, ["tokens", "list"])
    assert "ana" in listed.stdout and "oversight" in listed.stdout
    assert token not in listed.stdout
    again = runner.invoke(main, ["tokens", "create", "--name", "ana", "--role", "admin"])
    assert again.exit_code != 0
    bad_role = runner.invoke(main, ["tokens", "create", "--name", "bob", "--role", "king"])
    assert bad_role.exit_code != 0


def test_revoked_token_stops_working_at_once(app, client):
    runner = app.test_cli_runner()
    created = runner.invoke(main, ["tokens", "create", "--name", "x", "--role", "admin"])
    token = created.stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/incidents", headers=headers).status_code == 200
    assert runner.invoke(main, ["tokens", "revoke", "--name", "x"]).exit_code == 0
    assert client.get("/api/v1/incidents", headers=headers).status_code == 401
    assert runner.invoke(main, ["tokens", "revoke", "--name", "x"]).exit_code != 0


def test_expiring_token(app, client):
    runner = app.test_cli_runner()
    with freeze_time("2026-01-01T00:00:00Z"):
        token = runner.invoke(
            main, ["tokens", "create", "--name", "t", "--role", "admin", "--expires-in", "1d"]
        ).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    with freeze_time("2026-01-01T23:59:00Z"):
        assert client.get("/api/v1/incidents", headers=headers).status_code == 200
        assert ApiToken.get(ApiToken.name == "t").last_used_at is not None
    with freeze_time("2026-01-02T00:00:01Z"):
        assert client.get("/api/v1/incidents", headers=headers).status_code == 401
    bad = runner.invoke(
        main, ["tokens", "create", "--name", "u", "--role", "admin", "--expires-in", "soon"]
    )
    assert bad.exit_code != 0
