"""Thread-key normalisation and comment-body validation: unit and property tests."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from chalicelib.platform.errors import (
    CommentTooLarge,
    InvalidComment,
    InvalidRequest,
    InvalidThread,
    SidenoteError,
)
from chalicelib.platform.validation import (
    MAX_AUTHOR,
    MAX_EMAIL,
    MAX_TEXT_CEILING,
    MAX_THREAD_KEY,
    MAX_TITLE,
    MAX_URL,
    MAX_WEBSITE,
    NewComment,
    check_comment_id,
    check_idempotency_key,
    check_site_id,
    normalize_thread_key,
    parse_edit,
    parse_limit,
    parse_new_comment,
)

PARENT = "01J9Z6Q3M8V7K2X4T5R6Y7W8N9"


def parse(body: object, *, max_length: int = 5000, author: bool = False, email: bool = False):
    return parse_new_comment(
        body, max_length=max_length, require_author=author, require_email=email
    )


def has_control(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in value)


# --- thread keys: examples ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/a", "/a"),
        ("/a/", "/a"),
        ("/a///", "/a"),
        ("  /a/  ", "/a"),
        ("/a/ /", "/a"),
        ("/", "/"),
        ("//", "/"),
        ("post-123", "post-123"),
        ("/2009/02/outage.html", "/2009/02/outage.html"),
        ("cafe\u0301", "caf\u00e9"),
        ("\u00e9t\u00e9", "\u00e9t\u00e9"),
        ("/emoji-\U0001f600/", "/emoji-\U0001f600"),
    ],
)
def test_thread_key_is_normalised_to_its_canonical_form(raw, expected):
    assert normalize_thread_key(raw) == expected


def test_trailing_slash_is_not_significant_in_a_thread_key():
    assert normalize_thread_key("/a/") == normalize_thread_key("/a")


def test_decomposed_and_composed_unicode_name_the_same_thread():
    assert normalize_thread_key("/cafe\u0301") == normalize_thread_key("/caf\u00e9")


@pytest.mark.parametrize("raw", [None, 12, 1.5, ["/a"], {"k": "/a"}, b"/a", True])
def test_thread_key_that_is_not_a_string_is_rejected(raw):
    with pytest.raises(InvalidThread):
        normalize_thread_key(raw)


@pytest.mark.parametrize("raw", ["", " ", "\t", "\n \n", "   \u3000  "])
def test_empty_or_blank_thread_key_is_rejected(raw):
    with pytest.raises(InvalidThread):
        normalize_thread_key(raw)


def test_thread_key_of_exactly_512_characters_is_accepted():
    key = "/" + "a" * (MAX_THREAD_KEY - 1)
    assert normalize_thread_key(key) == key


def test_thread_key_longer_than_512_characters_is_rejected():
    with pytest.raises(InvalidThread, match="512"):
        normalize_thread_key("/" + "a" * MAX_THREAD_KEY)


def test_thread_key_length_is_checked_after_trimming():
    key = "/" + "a" * (MAX_THREAD_KEY - 1)
    assert normalize_thread_key(f"   {key}/   ") == key


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x07", "\x1b", "\x7f", "\x85", "\x9f"])
def test_thread_key_with_a_control_character_inside_is_rejected(char):
    with pytest.raises(InvalidThread, match="control"):
        normalize_thread_key(f"/a{char}b")


@pytest.mark.parametrize("char", ["\n", "\r", "\t"])
def test_thread_key_with_a_newline_or_tab_inside_is_rejected(char):
    with pytest.raises(InvalidThread):
        normalize_thread_key(f"/a{char}b")


@pytest.mark.parametrize("surrogate", ["\ud800", "\udfff", "\udc00"])
def test_thread_key_with_a_lone_surrogate_is_rejected(surrogate):
    with pytest.raises(InvalidThread, match="Unicode"):
        normalize_thread_key(f"/a{surrogate}")


# --- thread keys: properties -------------------------------------------------------------

keys = st.text(min_size=0, max_size=600)


def _normalised_or_none(raw: str) -> str | None:
    try:
        return normalize_thread_key(raw)
    except InvalidThread:
        return None


@given(keys)
@example("/a/")
@example("cafe\u0301/")
@example("/ /")
def test_thread_key_normalisation_is_idempotent(raw):
    key = _normalised_or_none(raw)
    assume(key is not None)
    assert normalize_thread_key(key) == key


@given(keys)
def test_normalised_thread_key_is_clean(raw):
    key = _normalised_or_none(raw)
    assume(key is not None)
    assert 1 <= len(key) <= MAX_THREAD_KEY
    assert key == key.strip()
    assert key == unicodedata.normalize("NFC", key)
    assert not has_control(key)
    assert key == "/" or not key.endswith("/")
    key.encode("utf-8")


@given(keys)
def test_thread_key_normalisation_raises_only_invalid_thread(raw):
    try:
        normalize_thread_key(raw)
    except InvalidThread as error:
        assert error.STATUS_CODE == 400
        assert error.message


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=40))
def test_trailing_slash_and_surrounding_space_never_change_the_thread(raw):
    key = _normalised_or_none(raw)
    assume(key is not None and key != "/")
    assert normalize_thread_key(f"  {key}/ ") == key
    assert normalize_thread_key(f"{key}//") == key


@given(st.text(min_size=1, max_size=60))
def test_thread_key_with_control_characters_never_normalises(raw):
    tainted = f"/x{raw}\x00y"
    assert _normalised_or_none(tainted) is None


# --- site ids, comment ids, idempotency keys, limits ---------------------------------------


@pytest.mark.parametrize("site_id", ["myblog", "ab", "a-1", "0day", "x" * 63])
def test_valid_site_id_is_accepted(site_id):
    assert check_site_id(site_id) == site_id


@pytest.mark.parametrize(
    "site_id",
    ["", "a", "-ab", "MyBlog", "my_blog", "my blog", "x" * 64, "<script>", "é-blog", "myblog\n"],
)
def test_invalid_site_id_is_rejected(site_id):
    with pytest.raises(InvalidRequest):
        check_site_id(site_id)


def test_well_formed_comment_id_is_accepted():
    assert check_comment_id(PARENT) == PARENT


@pytest.mark.parametrize(
    "comment_id", ["", "x", PARENT.lower(), PARENT + "0", "U" * 26, PARENT + "\n"]
)
def test_malformed_comment_id_is_not_found(comment_id):
    from chalicelib.platform.errors import CommentNotFound

    with pytest.raises(CommentNotFound):
        check_comment_id(comment_id)


@pytest.mark.parametrize("key", [None, "k", "abc-123", "!" * 128, "~"])
def test_valid_idempotency_key_is_accepted(key):
    assert check_idempotency_key(key) == key


@pytest.mark.parametrize("key", ["", " ", "a b", "x" * 129, "clé", "a\x00", "<b>\n"])
def test_invalid_idempotency_key_is_rejected(key):
    with pytest.raises(InvalidRequest, match="Idempotency-Key"):
        check_idempotency_key(key)


@pytest.mark.parametrize(("raw", "expected"), [(None, 100), ("1", 1), ("200", 200), ("007", 7)])
def test_limit_is_parsed_within_bounds(raw, expected):
    assert parse_limit(raw) == expected


@pytest.mark.parametrize("raw", ["0", "201", "-1", "1.5", "ten", "", " 5", "١٠", "²", "5\n"])
def test_limit_outside_bounds_or_not_a_number_is_rejected(raw):
    with pytest.raises(InvalidRequest, match="limit"):
        parse_limit(raw)


# --- new comments: fields --------------------------------------------------------------


def test_full_comment_is_parsed_into_clean_values():
    new = parse(
        {
            "text": "  Hello *world*  ",
            "author": " Ann ",
            "email": "Ann@Example.ORG",
            "website": "https://ann.example/",
            "parent": PARENT,
            "title": "Outage",
            "url": "http://blog.example/2009/02/outage.html",
        }
    )
    assert new == NewComment(
        text="Hello *world*",
        author="Ann",
        email="ann@example.org",
        website="https://ann.example/",
        parent=PARENT,
        title="Outage",
        url="http://blog.example/2009/02/outage.html",
        honeypot=None,
    )


def test_only_text_is_required_by_default():
    assert parse({"text": "hi"}) == NewComment(text="hi")


@pytest.mark.parametrize("body", [{}, {"text": None}, {"text": ""}, {"text": "  \n\t "}])
def test_missing_or_blank_text_is_rejected_naming_the_field(body):
    with pytest.raises(InvalidComment, match="'text'"):
        parse(body)


@pytest.mark.parametrize("body", [None, [], ["text"], "text", 1, 1.0, True])
def test_body_that_is_not_an_object_is_rejected(body):
    with pytest.raises(InvalidComment, match="JSON object"):
        parse(body)


@pytest.mark.parametrize("field", ["text", "author", "email", "website", "title", "url"])
@pytest.mark.parametrize("value", [1, 1.5, True, False, [], ["x"], {"a": "b"}])
def test_text_field_with_wrong_type_is_rejected_naming_the_field(field, value):
    body = {"text": "hello", field: value}
    with pytest.raises(InvalidComment, match=f"'{field}'"):
        parse(body)


@pytest.mark.parametrize(
    "value", [1, True, [], {"a": 1}, "", "x", PARENT.lower(), PARENT + "A", PARENT + "\n"]
)
def test_parent_that_is_not_a_comment_id_is_rejected(value):
    with pytest.raises(InvalidComment, match="'parent'"):
        parse({"text": "hello", "parent": value})


def test_parent_null_means_a_top_level_comment():
    assert parse({"text": "hello", "parent": None}).parent is None


@pytest.mark.parametrize("value", [1, True, [], {"a": 1}])
def test_honeypot_that_is_not_a_string_is_rejected(value):
    with pytest.raises(InvalidComment, match="'hp'"):
        parse({"text": "hello", "hp": value})


def test_filled_honeypot_is_kept_for_the_moderation_decision():
    assert parse({"text": "hello", "hp": "http://spam.example"}).honeypot == "http://spam.example"


def test_empty_honeypot_counts_as_not_filled():
    assert parse({"text": "hello", "hp": ""}).honeypot is None


def test_unknown_fields_are_ignored():
    assert parse({"text": "hello", "is_admin": True, "status": "approved"}) == NewComment("hello")


def test_author_is_required_when_the_site_says_so():
    with pytest.raises(InvalidComment, match="'author'"):
        parse({"text": "hello"}, author=True)
    with pytest.raises(InvalidComment, match="'author'"):
        parse({"text": "hello", "author": "   "}, author=True)
    assert parse({"text": "hello", "author": "Ann"}, author=True).author == "Ann"


def test_email_is_required_when_the_site_says_so():
    with pytest.raises(InvalidComment, match="'email'"):
        parse({"text": "hello"}, email=True)
    assert parse({"text": "hello", "email": "a@b.org"}, email=True).email == "a@b.org"


@pytest.mark.parametrize(
    "email", ["ann@example.org", "a.b+tag@sub.example.co.uk", "x@y.z", "ANN@EXAMPLE.ORG"]
)
def test_plausible_email_is_accepted_and_lower_cased(email):
    assert parse({"text": "hello", "email": email}).email == email.lower()


@pytest.mark.parametrize(
    "email",
    [
        "ann",
        "ann@",
        "@example.org",
        "ann@example",
        "ann@@example.org",
        "a b@example.org",
        "<ann@example.org>",
        '"ann"@example.org',
        "ann@example.org,bob@example.org",
        "ann@example.org;x",
    ],
)
def test_malformed_email_is_rejected(email):
    with pytest.raises(InvalidComment, match="'email'"):
        parse({"text": "hello", "email": email})


@pytest.mark.parametrize("field", ["website", "url"])
@pytest.mark.parametrize(
    "value", ["https://ann.example", "http://ann.example/path?q=1#f", "HTTPS://ANN.EXAMPLE:8443/"]
)
def test_http_urls_are_accepted(field, value):
    assert getattr(parse({"text": "hello", field: value}), field) == value


@pytest.mark.parametrize("field", ["website", "url"])
@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "ftp://ann.example",
        "ann.example",
        "//ann.example",
        "https://",
        "http:///path",
        "https://ann example.org",
        "https://ann.example/\u00a0x",
        "http://[::1",
        "mailto:ann@example.org",
    ],
)
def test_urls_that_are_not_plain_http_are_rejected(field, value):
    with pytest.raises(InvalidComment, match=f"'{field}'"):
        parse({"text": "hello", field: value})


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("author", MAX_AUTHOR),
        ("title", MAX_TITLE),
    ],
)
def test_plain_field_at_its_limit_is_accepted_and_beyond_is_rejected(field, limit):
    assert getattr(parse({"text": "x", field: "a" * limit}), field) == "a" * limit
    with pytest.raises(InvalidComment, match=f"'{field}'.*{limit}"):
        parse({"text": "x", field: "a" * (limit + 1)})


def test_email_beyond_its_limit_is_rejected():
    local = "a" * 64
    email = local + "@" + "b" * (MAX_EMAIL - len(local) - 5) + ".org"
    assert len(email) == MAX_EMAIL
    assert parse({"text": "x", "email": email}).email == email
    with pytest.raises(InvalidComment, match="'email'"):
        parse({"text": "x", "email": "a" + email})


@pytest.mark.parametrize(("field", "limit"), [("website", MAX_WEBSITE), ("url", MAX_URL)])
def test_url_beyond_its_limit_is_rejected(field, limit):
    base = "https://ann.example/"
    ok = base + "p" * (limit - len(base))
    assert getattr(parse({"text": "x", field: ok}), field) == ok
    with pytest.raises(InvalidComment, match=f"'{field}'"):
        parse({"text": "x", field: ok + "p"})


def test_text_longer_than_the_site_maximum_is_too_large():
    assert parse({"text": "a" * 100}, max_length=100).text == "a" * 100
    with pytest.raises(CommentTooLarge):
        parse({"text": "a" * 101}, max_length=100)


def test_text_is_capped_by_the_hard_ceiling_whatever_the_site_allows():
    with pytest.raises(CommentTooLarge):
        parse({"text": "a" * (MAX_TEXT_CEILING + 1)}, max_length=10**9)


def test_text_keeps_newlines_and_tabs():
    assert parse({"text": "line one\n\tline two\r\nthree"}).text == "line one\n\tline two\r\nthree"


@pytest.mark.parametrize("char", ["\x00", "\x08", "\x1b", "\x7f"])
def test_text_with_other_control_characters_is_rejected(char):
    with pytest.raises(InvalidComment, match=r"'text'.*control"):
        parse({"text": f"hi{char}there"})


@pytest.mark.parametrize("field", ["author", "title"])
@pytest.mark.parametrize("char", ["\n", "\t", "\x00", "\x1b"])
def test_single_line_fields_reject_control_characters(field, char):
    with pytest.raises(InvalidComment, match=f"'{field}'"):
        parse({"text": "x", field: f"Ann{char}Smith"})


@pytest.mark.parametrize("field", ["text", "author", "title", "email", "website", "url"])
def test_lone_surrogate_in_any_field_is_rejected(field):
    with pytest.raises(InvalidComment, match=f"'{field}'.*Unicode"):
        parse({"text": "x", field: "a\ud800b"})


def test_text_is_normalised_to_nfc():
    assert parse({"text": "cafe\u0301"}).text == "caf\u00e9"


@pytest.mark.parametrize(
    "text",
    ["\u202eevil\u202c", "zero\u200bwidth", "\U0001f600\U0001f44d\U0001f3fd", "שלום", "\ufeffbom"],
)
def test_visible_unicode_in_text_is_kept(text):
    assert parse({"text": text}).text == text.strip()


def test_edit_body_needs_text():
    assert parse_edit({"text": " new "}, max_length=100) == "new"
    with pytest.raises(InvalidComment, match="'text'"):
        parse_edit({}, max_length=100)
    with pytest.raises(InvalidComment):
        parse_edit(["text"], max_length=100)
    with pytest.raises(CommentTooLarge):
        parse_edit({"text": "a" * 101}, max_length=100)


# --- new comments: properties ----------------------------------------------------------

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
FIELDS = ["text", "author", "email", "website", "parent", "title", "url", "hp"]
field_values = (
    json_values
    | st.text(max_size=300)
    | st.sampled_from(
        [
            PARENT,
            "ann@example.org",
            "https://ann.example",
            "javascript:alert(1)",
            "a\ud800",
            "<script>alert(1)</script>",
        ]
    )
)
comment_bodies = st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, field_values))


def _check_clean(new: NewComment, max_length: int) -> None:
    assert isinstance(new.text, str) and new.text.strip()
    assert len(new.text) <= min(max_length, MAX_TEXT_CEILING)
    for name in ("text", "author", "email", "website", "title", "url"):
        value = getattr(new, name)
        if value is None:
            continue
        assert isinstance(value, str) and value == value.strip() and value
        assert value == unicodedata.normalize("NFC", value)
        value.encode("utf-8")
        if name != "text":
            assert not has_control(value)
    for name, limit in [
        ("author", MAX_AUTHOR),
        ("email", MAX_EMAIL),
        ("website", MAX_WEBSITE),
        ("title", MAX_TITLE),
        ("url", MAX_URL),
    ]:
        value = getattr(new, name)
        assert value is None or len(value) <= limit
    for name in ("website", "url"):
        value = getattr(new, name)
        assert value is None or value.lower().startswith(("http://", "https://"))
    assert new.email is None or ("@" in new.email and new.email == new.email.lower())
    assert new.parent is None or len(new.parent) == 26


@given(json_values | comment_bodies, st.integers(min_value=10, max_value=30_000), st.booleans())
def test_any_json_value_parses_to_clean_values_or_a_client_error(body, max_length, strict):
    try:
        new = parse(body, max_length=max_length, author=strict, email=strict)
    except SidenoteError as error:
        assert 400 <= error.STATUS_CODE < 500
        assert error.message
        return
    _check_clean(new, max_length)


@given(comment_bodies)
def test_parsing_a_comment_body_is_deterministic(body):
    def attempt():
        try:
            return parse(body)
        except SidenoteError as error:
            return type(error), error.message

    assert attempt() == attempt()
