"""Marshmallow schemas: request validation, response dumping and the OpenAPI document."""
