package dev.tandem.proxy.cli;

import picocli.CommandLine.Command;

/** {@code tandem replay}: replay capture files against targets. */
@Command(name = "replay", description = "Replay captured traffic (Tandem, GoReplay .gor, HAR) against targets.")
final class ReplayCommand extends LaterReleaseCommand {

  @Override
  String feature() {
    return "replaying capture files";
  }
}
