package dev.tandem.proxy.importer;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.RuntimeJsonMappingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads Kubernetes manifests: multi-document YAML, {@code kind: List} expanded into its items. */
public final class Manifests {

  private static final YAMLMapper YAML = new YAMLMapper();

  private Manifests() {
  }

  public static List<Manifest> read(Path file) throws ImportException {
    String name = file.toString();
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ImportException(name, "no such file");
    } catch (MalformedInputException e) {
      throw new ImportException(name, "is not UTF-8 text");
    } catch (IOException e) {
      throw new ImportException(name, "cannot be read: " + e.getMessage());
    }
    List<Manifest> out = new ArrayList<>();
    try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(text)) {
      int document = 0;
      while (docs.hasNextValue()) {
        document++;
        JsonNode doc = docs.nextValue();
        add(name, document, doc, out);
      }
    } catch (JsonProcessingException e) {
      throw invalid(name, e);
    } catch (RuntimeJsonMappingException e) {
      throw e.getCause() instanceof JsonProcessingException p ? invalid(name, p)
          : new ImportException(name, "not valid YAML: " + e.getMessage());
    } catch (IOException e) {
      throw new ImportException(name, "cannot be read: " + e.getMessage());
    }
    return out;
  }

  private static void add(String file, int document, JsonNode doc, List<Manifest> out) throws ImportException {
    if (doc == null || doc.isNull() || doc.isMissingNode()) {
      return;
    }
    if (!doc.isObject()) {
      throw new ImportException(file, "document " + document + " is not a Kubernetes object (a mapping with kind)");
    }
    String kind = doc.path("kind").asText("");
    if (kind.equals("List") || kind.endsWith("List") && doc.has("items")) {
      for (JsonNode item : doc.path("items")) {
        add(file, document, item, out);
      }
      return;
    }
    JsonNode meta = doc.path("metadata");
    String namespace = meta.path("namespace").asText("");
    out.add(new Manifest(file, kind.isEmpty() ? "(no kind)" : kind, namespace.isEmpty() ? "default" : namespace,
        meta.path("name").asText("(no name)"), doc));
  }

  private static ImportException invalid(String file, JsonProcessingException e) {
    JsonLocation at = e.getLocation();
    String where = at == null || at.getLineNr() < 1 ? file : file + ":" + at.getLineNr();
    // SnakeYAML's message quotes the text under a caret on indented lines; the unindented ones say what is wrong.
    String what = String.join(", ", e.getOriginalMessage().lines()
        .filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0))).toList());
    return new ImportException(where, "not valid YAML: " + what);
  }
}
