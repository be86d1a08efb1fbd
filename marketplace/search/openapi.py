"""The OpenAPI 3.0 description of the public JSON API (GET /api/v1/openapi.json). Built from the
same constants the parameter parser uses, so the description and the checks cannot drift apart;
tests/security/test_openapi.py runs schemathesis against it."""
from marketplace.search.backend import SORTS
from marketplace.search.forms import MAX_PAGE, MAX_PER_PAGE, MAX_QUERY

FLAG = {"type": "string", "enum": ["", "1", "0", "true", "false", "yes", "no"]}
YUAN = {"type": "string", "pattern": r"^(\s*[¥￥]?\s*([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]{1,2})?\s*)?$",
        "description": "An amount in yuan with at most two decimals (ASCII digits), e.g. 1234.50; empty: no bound"}


def parameter(name, schema, description):
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


PARAMETERS = [
    parameter("q", {"type": "string", "maxLength": MAX_QUERY},
              "Words to find (Chinese, pinyin or English; traditional characters are converted)"),
    parameter("category", {"type": "string", "enum": ["ip", "testing"]}, "A category slug such as ip or testing-emc"),
    parameter("voucher", FLAG, "1: only services that innovation vouchers can pay for"),
    parameter("verified", FLAG, "1: only providers whose admission is verified"),
    parameter("city", {"type": "string", "maxLength": 50}, "The provider's city"),
    parameter("min_price", YUAN, "Lowest price in yuan"),
    parameter("max_price", YUAN, "Highest price in yuan (not below min_price)"),
    parameter("sort", {"type": "string", "enum": ["", *SORTS]}, "Order of the hits (blank: relevance)"),
    parameter("page", {"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, {"type": "string", "enum": [""]}]},
              "Page number (blank: the first)"),
    parameter("per_page", {"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, {"type": "string", "enum": [""]}]},
              "Hits per page (blank: 20)"),
]

HIT = {"type": "object", "required": ["id", "external_id", "title", "provider", "category", "price_fen",
                                      "voucher_eligible", "highlights"],
       "properties": {
           "id": {"type": "integer"}, "external_id": {"type": "string", "nullable": True},
           "title": {"type": "string"}, "provider": {"type": "string"}, "category": {"type": "string"},
           "price_fen": {"type": "integer", "nullable": True, "description": "Lowest package price in fen"},
           "voucher_eligible": {"type": "boolean"},
           "highlights": {"type": "object", "additionalProperties": {"type": "string"}},
           "city": {"type": "string", "nullable": True}, "verified": {"type": "boolean"}, "url": {"type": "string"},
       }}
FACET_VALUE = {"type": "object", "required": ["value", "count", "label"],
               "properties": {"value": {}, "count": {"type": "integer"}, "label": {"type": "string"}}}
CONDITION = {"type": "object", "required": ["kind", "value", "phrase", "effect", "label", "without"],
             "properties": {
                 "kind": {"type": "string", "enum": ["voucher", "free", "max_price", "min_price", "city"]},
                 "value": {"description": "true (voucher, free), an amount in fen (max_price, min_price) or the city"},
                 "phrase": {"type": "string", "description": "The words of q it was read from"},
                 "effect": {"type": "string", "enum": ["filter", "boost"]},
                 "label": {"type": "string"}, "without": {"type": "string", "description": "q without the phrase"}}}
RESULT = {"type": "object", "required": ["total", "page", "per_page", "hits", "facets", "suggestion"],
          "properties": {
              "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
              "hits": {"type": "array", "items": HIT},
              "facets": {"type": "object", "additionalProperties": {"type": "array", "items": FACET_VALUE}},
              "suggestion": {"type": "string", "nullable": True},
              "suggestion_translation": {"type": "string", "nullable": True},
              "searched_text": {"type": "string", "description": "q without the conditions understood from it"},
              "understood": {"type": "array", "items": CONDITION,
                             "description": "Conditions read from q (免费, 可用创新券, 5000元以内, under 5000, a city) "
                                            "and applied as filters (voucher, max_price, min_price) or a boost (city) "
                                            "where the request's parameters do not already set them"},
          }}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["status", "message"],
    "properties": {"status": {"type": "integer"}, "message": {"type": "string"}, "parameter": {"type": "string"}}}}}


def response(description, schema):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def document(category_slugs=()):
    """The description; `category_slugs` are the catalogue's categories (read from the database)."""
    parameters = [dict(p, schema={"type": "string", "enum": ["", *sorted(category_slugs)]}) if p["name"] == "category"
                  else p for p in PARAMETERS]
    return {
        "openapi": "3.0.3",
        "info": {"title": "Torch tech-service marketplace API", "version": "1",
                 "description": "Search the published catalogue. Amounts are integer fen."},
        "paths": {
            "/api/v1/search": {"get": {
                "operationId": "search", "summary": "Search published services", "parameters": parameters,
                "responses": {"200": response("One page of hits with facets", RESULT),
                              "400": response("A parameter is invalid; `parameter` names it", ERROR),
                              "429": response("Too many requests from this address", ERROR)}}},
            "/api/v1/openapi.json": {"get": {
                "operationId": "openapi", "summary": "This description",
                "responses": {"200": {"description": "The OpenAPI document",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        },
    }
