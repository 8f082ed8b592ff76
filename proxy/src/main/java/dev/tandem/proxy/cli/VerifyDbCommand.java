package dev.tandem.proxy.cli;

import picocli.CommandLine.Command;

/** {@code tandem verify-db}: compare the rows written by legacy and candidate. */
@Command(name = "verify-db", description = "Compare the primary and shadow databases and give a cut-over verdict.")
final class VerifyDbCommand extends LaterReleaseCommand {

  @Override
  String feature() {
    return "database verification";
  }
}
