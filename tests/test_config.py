"""Settings from URLs, mappings, the environment and TOML; secrets never shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from smsc_transports import ConfigurationError, Secret, Settings, load_settings
from smsc_transports.config import host_list

PASSWORD = "S3cr3t-pw"
APIKEY = "K3y-abc"


def secret_value(secret: Secret | None) -> str | None:
    return None if secret is None else secret.reveal()


# --- from_url ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "scheme", "host", "port"),
    [
        ("https://login:pw@smsc.ru", "https", "smsc.ru", None),
        ("http://login:pw@smsc.ru", "http", "smsc.ru", None),
        ("smpp://login:pw@smpp.smsc.ru:3700", "smpp", "smpp.smsc.ru", 3700),
        ("smpps://login:pw@smpp.smsc.ru:3443", "smpps", "smpp.smsc.ru", 3443),
        ("smtp://login:pw@send.smsc.ru", "smtp", "send.smsc.ru", None),
        ("smtps://login:pw@send.smsc.ru:465", "smtps", "send.smsc.ru", 465),
        ("soap://login:pw@smsc.ru", "soap", "smsc.ru", None),
        ("soap+https://login:pw@smsc.kz", "soap+https", "smsc.kz", None),
        ("HTTPS://login:pw@SMSC.RU", "https", "smsc.ru", None),
        ("https://login:pw@127.0.0.1:8080", "https", "127.0.0.1", 8080),
    ],
)
def test_from_url_reads_scheme_host_port_and_credentials(
    url: str, scheme: str, host: str, port: int | None
) -> None:
    settings = Settings.from_url(url)
    assert (settings.scheme, settings.host, settings.port) == (scheme, host, port)
    assert settings.login == "login"
    assert secret_value(settings.password) == "pw"
    assert settings.apikey is None
    assert dict(settings.options) == {}


@pytest.mark.parametrize(
    ("encoded", "password"),
    [
        ("p%40ss", "p@ss"),
        ("p%3Ass", "p:ss"),
        ("100%25", "100%"),
        ("%D0%BF%D0%B0%D1%80%D0%BE%D0%BB%D1%8C", "пароль"),
        ("a%40b%3Ac%25d%2F%3F%23%D0%B6", "a@b:c%d/?#ж"),
    ],
)
def test_from_url_percent_decodes_the_password(encoded: str, password: str) -> None:
    settings = Settings.from_url(f"https://user:{encoded}@smsc.ru")
    assert secret_value(settings.password) == password
    assert settings.host == "smsc.ru"


def test_from_url_percent_decodes_the_login() -> None:
    settings = Settings.from_url("https://user%40corp:pw@smsc.ru")
    assert settings.login == "user@corp"


def test_an_empty_login_makes_the_password_an_api_key() -> None:
    settings = Settings.from_url(f"https://:{APIKEY}@smsc.ru")
    assert secret_value(settings.apikey) == APIKEY
    assert settings.password is None
    assert settings.login is None


def test_apikey_in_the_query_is_the_api_key_not_an_option() -> None:
    settings = Settings.from_url(f"https://smsc.ru?apikey={APIKEY}&sender=Shop")
    assert secret_value(settings.apikey) == APIKEY
    assert "apikey" not in settings.options
    assert dict(settings.options) == {"sender": "Shop"}


def test_other_query_parameters_become_options() -> None:
    settings = Settings.from_url("smpp://u:p@smpp.smsc.ru?window=10&sender=My%20Shop&flag=")
    assert dict(settings.options) == {"window": "10", "sender": "My Shop", "flag": ""}


@pytest.mark.parametrize(
    "url",
    [
        "https://u:p@smsc.ru:abc",
        "https://u:p@smsc.ru:99999",
        "https://u:p@smsc.ru:0",
        "https://u:p@smsc.ru:-1",
        "https://u:p@[::1",
    ],
)
def test_a_bad_port_or_malformed_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError):
        Settings.from_url(url)


@pytest.mark.parametrize("url", ["smsc.ru", "https:smsc.ru", "", "login:pw@smsc.ru"])
def test_a_url_without_scheme_separator_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match="scheme://"):
        Settings.from_url(url)


def test_a_port_outside_the_range_is_refused_on_construction() -> None:
    with pytest.raises(ConfigurationError, match="70000"):
        Settings(scheme="https", port=70000)


# --- address -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "address"),
    [
        ("https", ("smsc.ru", 443)),
        ("http", ("smsc.ru", 80)),
        ("smpp", ("smpp.smsc.ru", 3700)),
        ("smpps", ("smpp.smsc.ru", 3443)),
        ("smtp", ("send.smsc.ru", 25)),
        ("smtps", ("send.smsc.ru", 465)),
        ("soap", ("smsc.ru", 443)),
        ("soap+https", ("smsc.ru", 443)),
    ],
)
def test_address_defaults_to_smscs_server_for_the_scheme(
    scheme: str, address: tuple[str, int]
) -> None:
    assert Settings(scheme=scheme).address == address
    assert Settings.from_url(f"{scheme}://u:p@").address == address


@pytest.mark.parametrize(
    ("scheme", "region", "address"),
    [
        ("https", "kz", ("smsc.kz", 443)),
        ("smpp", "kz", ("smpp.smsc.kz", 3700)),
        ("smpps", "KZ", ("smpp.smsc.kz", 3443)),
        ("smtp", "ua", ("send.smsc.ua", 25)),
        ("soap", "com", ("smscentre.com", 443)),
        ("https", "ru", ("smsc.ru", 443)),
    ],
)
def test_region_picks_the_regional_server(
    scheme: str, region: str, address: tuple[str, int]
) -> None:
    assert Settings(scheme=scheme, options={"region": region}).address == address
    assert Settings.from_url(f"{scheme}://u:p@?region={region}").address == address


def test_an_explicit_host_and_port_win_over_defaults_and_region() -> None:
    settings = Settings.from_url("smpp://u:p@127.0.0.1:2775?region=kz")
    assert settings.address == ("127.0.0.1", 2775)


def test_an_unknown_region_is_a_configuration_error_listing_the_known_ones() -> None:
    settings = Settings(scheme="https", options={"region": "xx"})
    with pytest.raises(ConfigurationError, match="'xx'") as excinfo:
        _ = settings.address
    assert "kz" in str(excinfo.value)


# --- from_mapping / from_env / from_toml ---------------------------------------------


def test_from_mapping_applies_keys_over_the_url() -> None:
    settings = Settings.from_mapping(
        {
            "url": "https://u:old@smsc.ru?sender=Old",
            "password": "new",
            "port": "8443",
            "sender": "Shop",
            "timeout": 5,
        }
    )
    assert settings.login == "u"
    assert secret_value(settings.password) == "new"
    assert settings.port == 8443
    assert dict(settings.options) == {"sender": "Shop", "timeout": 5}


@pytest.mark.parametrize("key", ["scheme", "protocol"])
def test_from_mapping_with_a_scheme_only(key: str) -> None:
    settings = Settings.from_mapping({key: "SMPP", "login": "u", "password": "p"})
    assert settings.scheme == "smpp"
    assert settings.host is None
    assert settings.address == ("smpp.smsc.ru", 3700)
    assert (settings.login, secret_value(settings.password)) == ("u", "p")


def test_from_mapping_without_url_or_scheme_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="scheme"):
        Settings.from_mapping({"login": "u"})


def test_from_mapping_with_a_bad_port_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="port"):
        Settings.from_mapping({"scheme": "smpp", "port": "abc"})


def test_from_env_reads_smsc_url() -> None:
    settings = Settings.from_env({"SMSC_URL": "smpp://u:p@smpp.smsc.ru:3700"})
    assert (settings.scheme, settings.login, secret_value(settings.password)) == ("smpp", "u", "p")


def test_from_env_login_password_and_apikey_override_the_url() -> None:
    settings = Settings.from_env(
        {
            "SMSC_URL": "https://u:p@smsc.ru",
            "SMSC_LOGIN": "other",
            "SMSC_PASSWORD": PASSWORD,
            "SMSC_APIKEY": APIKEY,
        }
    )
    assert settings.login == "other"
    assert secret_value(settings.password) == PASSWORD
    assert secret_value(settings.apikey) == APIKEY


def test_from_env_ignores_empty_overrides() -> None:
    settings = Settings.from_env({"SMSC_URL": "https://u:p@smsc.ru", "SMSC_LOGIN": ""})
    assert settings.login == "u"


def test_from_env_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMSC_URL", "https://u:p@smsc.ru")
    monkeypatch.setenv("SMSC_LOGIN", "env-login")
    monkeypatch.setenv("SMSC_PASSWORD", PASSWORD)
    monkeypatch.delenv("SMSC_APIKEY", raising=False)
    settings = Settings.from_env()
    assert settings.login == "env-login"
    assert secret_value(settings.password) == PASSWORD
    assert settings.apikey is None


def test_from_env_without_smsc_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="SMSC_URL"):
        Settings.from_env({"SMSC_LOGIN": "u", "SMSC_PASSWORD": "p"})


def test_from_toml_reads_the_smsc_table(tmp_path: Path) -> None:
    path = tmp_path / "app.toml"
    path.write_text(
        '[other]\nkey = 1\n\n[smsc]\nurl = "smpp://u:p@smpp.smsc.ru"\nport = 3443\nwindow = 10\n',
        encoding="utf-8",
    )
    settings = Settings.from_toml(path)
    assert (settings.scheme, settings.host, settings.port) == ("smpp", "smpp.smsc.ru", 3443)
    assert dict(settings.options) == {"window": 10}


def test_from_toml_reads_the_top_level_without_an_smsc_table(tmp_path: Path) -> None:
    path = tmp_path / "smsc.toml"
    path.write_text(
        'scheme = "https"\nlogin = "u"\npassword = "пароль"\nsender = "Shop"\n', encoding="utf-8"
    )
    settings = Settings.from_toml(str(path))
    assert settings.scheme == "https"
    assert (settings.login, secret_value(settings.password)) == ("u", "пароль")
    assert dict(settings.options) == {"sender": "Shop"}


def test_from_toml_with_a_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"missing\.toml"):
        Settings.from_toml(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    "content", ["url = ", "[smsc\nurl = 1", "smsc = 5\n", 'url = "x" url = "y"']
)
def test_from_toml_with_bad_toml_is_a_configuration_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError):
        Settings.from_toml(path)


# --- load_settings -------------------------------------------------------------------


def test_load_settings_without_config_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SMSC_URL", "smtp://u:p@send.smsc.ru")
    for name in ("SMSC_LOGIN", "SMSC_PASSWORD", "SMSC_APIKEY"):
        monkeypatch.delenv(name, raising=False)
    assert load_settings().scheme == "smtp"
    assert load_settings(None).host == "send.smsc.ru"


def test_load_settings_without_config_or_environment_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SMSC_URL", raising=False)
    with pytest.raises(ConfigurationError, match="SMSC_URL"):
        load_settings()


def test_load_settings_reads_a_url_string() -> None:
    assert load_settings("smpp://u:p@h:1").address == ("h", 1)


def test_load_settings_reads_a_toml_path(tmp_path: Path) -> None:
    path = tmp_path / "smsc.toml"
    path.write_text('[smsc]\nurl = "soap://u:p@smsc.ru"\n', encoding="utf-8")
    assert load_settings(path).scheme == "soap"
    assert load_settings(str(path)).scheme == "soap"


def test_load_settings_reads_a_mapping() -> None:
    assert load_settings({"scheme": "smpps", "login": "u"}).scheme == "smpps"


def test_load_settings_returns_settings_as_given() -> None:
    settings = Settings(scheme="https", login="u")
    assert load_settings(settings) is settings


def test_load_settings_overrides_win() -> None:
    settings = load_settings("https://u:p@smsc.ru?timeout=1", login="x", timeout=5, port=8443)
    assert settings.login == "x"
    assert settings.port == 8443
    assert settings.options["timeout"] == 5
    assert load_settings(Settings(scheme="smpp"), host="127.0.0.1").host == "127.0.0.1"


def test_load_settings_of_something_else_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="int"):
        load_settings(cast(Any, 42))


# --- option readers ------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [("5", 5), (7, 7), (" 12 ", 12), ("-3", -3)])
def test_get_int_reads_integers(value: object, expected: int) -> None:
    assert Settings(scheme="https", options={"n": value}).get_int("n", 0) == expected


@pytest.mark.parametrize("value", ["abc", "1.5", "", True, None, [1]])
def test_get_int_refuses_what_is_not_an_integer(value: object) -> None:
    settings = Settings(scheme="https", options={"n": value})
    if value is None:
        assert settings.get_int("n", 9) == 9
        return
    with pytest.raises(ConfigurationError, match="n="):
        settings.get_int("n", 0)


def test_get_int_refuses_a_fractional_number() -> None:
    # A TOML ``window = 2.5`` must not silently become a window of 2.
    settings = Settings(scheme="https", options={"window": 2.5})
    with pytest.raises(ConfigurationError, match="window"):
        settings.get_int("window", 1)


@pytest.mark.parametrize(("value", "expected"), [("5", 5.0), ("0.25", 0.25), (3, 3.0), (0, 0.0)])
def test_get_float_reads_non_negative_numbers(value: object, expected: float) -> None:
    assert Settings(scheme="https", options={"t": value}).get_float("t", 1.0) == expected


@pytest.mark.parametrize("value", ["abc", "-1", "nan", "", [1]])
def test_get_float_refuses_bad_or_negative_numbers(value: object) -> None:
    with pytest.raises(ConfigurationError, match="t="):
        Settings(scheme="https", options={"t": value}).get_float("t", 1.0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        (" ON ", True),
        (True, True),
        (1, True),
        ("0", False),
        ("false", False),
        ("no", False),
        ("off", False),
        ("", False),
        (False, False),
    ],
)
def test_get_bool_reads_yes_no_values(value: object, expected: bool) -> None:
    assert Settings(scheme="https", options={"b": value}).get_bool("b", not expected) is expected


@pytest.mark.parametrize("value", ["maybe", "2", "y e s"])
def test_get_bool_refuses_other_values(value: str) -> None:
    with pytest.raises(ConfigurationError, match="b="):
        Settings(scheme="https", options={"b": value}).get_bool("b", False)


def test_get_str_reads_strings_and_defaults() -> None:
    settings = Settings(scheme="https", options={"s": "Shop", "n": 5})
    assert settings.get_str("s") == "Shop"
    assert settings.get_str("n") == "5"
    assert settings.get_str("missing") is None
    assert settings.get_str("missing", "x") == "x"


@pytest.mark.parametrize("reader", ["get_int", "get_float", "get_bool"])
def test_missing_options_give_the_default(reader: str) -> None:
    settings = Settings(scheme="https")
    default = {"get_int": 3, "get_float": 2.5, "get_bool": True}[reader]
    assert getattr(settings, reader)("missing", default) == default


# --- credentials ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"https://u:{PASSWORD}@smsc.ru",
        f"https://:{APIKEY}@smsc.ru",
        f"https://smsc.ru?apikey={APIKEY}",
    ],
)
def test_require_credentials_accepts_login_and_password_or_an_api_key(url: str) -> None:
    Settings.from_url(url).require_credentials()


@pytest.mark.parametrize("url", ["https://smsc.ru", "https://u@smsc.ru", "https://u:@smsc.ru"])
def test_require_credentials_refuses_incomplete_credentials(url: str) -> None:
    with pytest.raises(ConfigurationError, match="login and password or an API key"):
        Settings.from_url(url).require_credentials()


# --- secrets -------------------------------------------------------------------------


def settings_with_secrets() -> list[Settings]:
    return [
        Settings.from_url(f"https://user:{PASSWORD}@smsc.ru:8443?apikey={APIKEY}&sender=Shop"),
        Settings.from_mapping(
            {"scheme": "smpp", "login": "user", "password": PASSWORD, "apikey": APIKEY}
        ),
        Settings(scheme="soap", login="user", password=Secret(PASSWORD), apikey=Secret(APIKEY)),
        Settings.from_env(
            {
                "SMSC_URL": "smtp://user@send.smsc.ru",
                "SMSC_PASSWORD": PASSWORD,
                "SMSC_APIKEY": APIKEY,
            }
        ),
    ]


@pytest.mark.parametrize("settings", settings_with_secrets(), ids=["url", "mapping", "init", "env"])
def test_repr_str_and_to_url_never_show_secrets(settings: Settings) -> None:
    for text in (repr(settings), str(settings), settings.to_url(), f"{settings}", f"{[settings]}"):
        assert PASSWORD not in text
        assert APIKEY not in text
        assert "***" in text
    assert repr(settings.password) == "Secret('***')"
    assert str(settings.apikey) == "Secret('***')"


@pytest.mark.parametrize("settings", settings_with_secrets(), ids=["url", "mapping", "init", "env"])
def test_to_url_reveal_shows_secrets_and_round_trips(settings: Settings) -> None:
    url = settings.to_url(reveal=True)
    assert PASSWORD in url
    assert APIKEY in url
    assert Settings.from_url(url) == settings


@pytest.mark.parametrize("password", ["p@ss:w%rd", "a/b?c#d&e=f", "пароль", "sp ace+plus"])
def test_to_url_reveal_round_trips_passwords_that_need_quoting(password: str) -> None:
    settings = Settings(scheme="https", host="smsc.ru", login="u@corp", password=Secret(password))
    again = Settings.from_url(settings.to_url(reveal=True))
    assert again == settings
    assert secret_value(again.password) == password


def test_a_malformed_url_error_does_not_show_the_password() -> None:
    with pytest.raises(ConfigurationError) as excinfo:
        Settings.from_url(f"https://user:{PASSWORD}@smsc.ru:port")
    assert PASSWORD not in str(excinfo.value)
    assert excinfo.value.__cause__ is None
    assert excinfo.value.__suppress_context__


def test_missing_credentials_error_does_not_show_the_password() -> None:
    settings = Settings(scheme="https", password=Secret(PASSWORD))  # no login
    with pytest.raises(ConfigurationError) as excinfo:
        settings.require_credentials()
    assert PASSWORD not in str(excinfo.value)


def test_secret_is_masked_and_compares_by_value() -> None:
    secret = Secret(PASSWORD)
    assert repr(secret) == "Secret('***')"
    assert str(secret) == "Secret('***')"
    assert f"{secret}" == "Secret('***')"
    assert PASSWORD not in repr([secret])
    assert secret.reveal() == PASSWORD
    assert secret == Secret(PASSWORD)
    assert hash(secret) == hash(Secret(PASSWORD))
    assert secret != Secret("other")
    assert secret != PASSWORD
    assert bool(secret)
    assert not Secret("")


def test_secret_must_be_a_string() -> None:
    with pytest.raises(ConfigurationError):
        Secret(cast(Any, 1234))


def test_an_empty_password_is_no_password() -> None:
    settings = Settings.from_mapping({"scheme": "https", "password": "", "apikey": ""})
    assert settings.password is None
    assert settings.apikey is None


def test_settings_are_frozen_and_options_read_only() -> None:
    settings = Settings.from_url("https://u:p@smsc.ru?sender=Shop")
    with pytest.raises(AttributeError):
        settings.login = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.options["sender"] = "x"  # type: ignore[index]


def test_a_host_list_keeps_each_hosts_own_port_and_lends_the_main_one_to_the_rest() -> None:
    assert host_list("a.example, b.example:2001,[::1]:3000 , [fe80::1],", 443) == (
        ("a.example", 443),
        ("b.example", 2001),
        ("::1", 3000),
        ("fe80::1", 443),
    )
    assert host_list("", 443) == ()


@pytest.mark.parametrize("text", ["h:0", "h:65536", "h:http", "h:²", "[::1", "[::1]x", ":80"])
def test_a_bad_entry_in_a_host_list_is_a_configuration_error(text: str) -> None:
    with pytest.raises(ConfigurationError):
        host_list(text, 443)
