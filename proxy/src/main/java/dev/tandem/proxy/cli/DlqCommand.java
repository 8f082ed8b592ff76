package dev.tandem.proxy.cli;

import picocli.CommandLine.Command;

/** {@code tandem dlq}: list and replay mirrored writes that could not be delivered. */
@Command(name = "dlq", description = "List and replay mirrored writes that could not be delivered.")
final class DlqCommand extends LaterReleaseCommand {

  @Override
  String feature() {
    return "the dead-letter queue of mirrored writes";
  }
}
