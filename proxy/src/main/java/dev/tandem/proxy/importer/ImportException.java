package dev.tandem.proxy.importer;

/** An input that cannot be imported at all: a file that cannot be read or parsed, or holds nothing to import. */
public final class ImportException extends Exception {

  /** @param where the file, and its line when known ({@code in.yaml:12}) */
  public ImportException(String where, String message) {
    super(where + ": " + message, null, false, false);
  }
}
