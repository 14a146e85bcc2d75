import json

from fastapi import FastAPI

from switchboard.intake.entrypoints import contacts_api


def test_contact_bodies_are_documented_without_dangling_references():
    """OpenAPI tools resolve a ``$ref`` from the document's root: the contact bodies, written
    by hand into the document, must carry their definitions inline."""
    app = FastAPI()
    app.include_router(contacts_api.router)
    paths = app.openapi()["paths"]
    for channel in ("phone", "email", "chat", "social"):
        body = paths[f"/v1/adapters/{{adapter_id}}/contacts/{channel}"]["post"]["requestBody"]
        schema = body["content"]["application/json"]["schema"]
        assert "$ref" not in json.dumps(schema), channel
        assert schema["properties"], channel
    chat = paths["/v1/adapters/{adapter_id}/contacts/chat"]["post"]["requestBody"]
    visitor = chat["content"]["application/json"]["schema"]["properties"]["visitor"]
    assert visitor["required"] == ["id"]
