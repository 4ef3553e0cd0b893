"""``sidenote secret``: the deployment secret in Secrets Manager, one value in every region.

The secret (``SIDENOTE_SECRET_ID``) is created in this region with a replica in every
other region of ``SIDENOTE_REGIONS``; Secrets Manager keeps the replicas' value equal to
the primary's. The production template (``deploy/home.json``) creates it the same way;
``create`` is for stages deployed without it. Neither command ever prints the value.
"""

from __future__ import annotations

import hashlib
import secrets as random
import sys
from typing import Any

import click

from chalicelib.platform import clients, config, tokens

#: Generated secrets: 48 random bytes, url-safe (64 characters).
GENERATED_BYTES = 48


def _client(region: str) -> Any:
    # Control-plane calls from an operator's shell: longer reads and more attempts than the API.
    return clients.client("secretsmanager", region=region, read=10.0, attempts=4)


def _secret_id() -> str:
    if not config.settings.secret_id:
        click.echo("error: set SIDENOTE_SECRET_ID to the secret's name", err=True)
        sys.exit(2)
    return config.settings.secret_id


def _code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__


@click.group()
def secret() -> None:
    """The deployment secret (edit tokens, keyed IP and e-mail hashes)."""


@secret.command("create")
def secret_create() -> None:
    """Create the secret with a random value and a replica in every other region, or add the
    replicas an existing secret lacks. An existing value is never changed."""
    name = _secret_id()
    home = config.settings.region
    wanted = list(config.settings.fallback_regions)
    primary = _client(home)
    try:
        found = primary.describe_secret(SecretId=name)
    except clients.AWS_ERRORS as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise
        primary.create_secret(
            Name=name,
            Description="sidenote: edit tokens and keyed hashes (replicated to every region)",
            SecretString=random.token_urlsafe(GENERATED_BYTES),
            **({"AddReplicaRegions": [{"Region": r} for r in wanted]} if wanted else {}),
        )
        click.echo(f"created {name} in {home}, replicated to {', '.join(wanted) or 'no region'}")
        return
    present = {status["Region"] for status in found.get("ReplicationStatus", [])}
    missing = [r for r in wanted if r not in present]
    if missing:
        primary.replicate_secret_to_regions(
            SecretId=name, AddReplicaRegions=[{"Region": r} for r in missing]
        )
    click.echo(f"{name} exists in {home}; replicas added: {', '.join(missing) or 'none needed'}")


@secret.command("check")
def secret_check() -> None:
    """Read the secret in every region of SIDENOTE_REGIONS; exit 1 unless all hold the same,
    usable value. Prints a short fingerprint (SHA-256 prefix), never the value."""
    name = _secret_id()
    regions = list(config.settings.regions)
    fingerprints: dict[str, str] = {}
    problems: list[str] = []
    for region in regions:
        try:
            value = _client(region).get_secret_value(SecretId=name).get("SecretString") or ""
        except clients.AWS_ERRORS as exc:
            problems.append(f"{region}: not readable ({_code(exc)})")
            continue
        if len(value) < tokens.MIN_LENGTH or value == config.LOCAL_SECRET:
            problems.append(
                f"{region}: shorter than {tokens.MIN_LENGTH} characters or a known value"
            )
        fingerprints[region] = hashlib.sha256(value.encode()).hexdigest()[:12]
    if len(set(fingerprints.values())) > 1:
        problems += [f"{region}: fingerprint {fp}" for region, fp in fingerprints.items()]
        problems.append("the regions hold different values")
    if problems:
        for line in problems:
            click.echo(line)
        sys.exit(1)
    fingerprint = next(iter(fingerprints.values()))
    click.echo(f"the same secret in {', '.join(regions)} (fingerprint {fingerprint})")
