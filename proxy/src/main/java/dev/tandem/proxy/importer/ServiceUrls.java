package dev.tandem.proxy.importer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The in-cluster URL of a Kubernetes Service port: {@code http://NAME.NAMESPACE.svc.cluster.local:PORT}. A port
 * given by name is looked up in the Service manifests among the inputs; without one, the URL takes the port from
 * the variable Kubernetes sets in pods of the namespace ({@code ORDERS_SERVICE_PORT_HTTP}), 80 when it is unset.
 */
final class ServiceUrls {

  private final Map<String, Integer> namedPorts = new HashMap<>();

  ServiceUrls(List<Manifest> manifests) {
    for (Manifest m : manifests) {
      if (m.kind().equals("Service")) {
        for (JsonNode p : m.node().path("spec").path("ports")) {
          if (p.hasNonNull("name") && p.path("port").canConvertToInt()) {
            namedPorts.put(m.namespace() + "/" + m.name() + "/" + p.get("name").asText(), p.get("port").asInt());
          }
        }
      }
    }
  }

  /**
   * The backend for a Service port, added to the draft under the service's name; null (and a line said) when the
   * reference is incomplete.
   */
  String backend(Draft d, Manifest from, String item, String scheme, String namespace, String service,
                 String portNumber, String portName) {
    if (service == null || service.isBlank()) {
      d.notCarried(from, item, "names no service");
      return null;
    }
    String host = service + "." + namespace + ".svc.cluster.local";
    String port;
    if (portNumber != null && !portNumber.isBlank()) {
      port = portNumber;
    } else if (portName != null && !portName.isBlank()) {
      Integer known = namedPorts.get(namespace + "/" + service + "/" + portName);
      if (known != null) {
        port = known.toString();
      } else {
        String variable = (service + "_SERVICE_PORT_" + portName).toUpperCase(Locale.ROOT)
            .replaceAll("[^A-Z0-9_]", "_");
        port = "${" + variable + ":-80}";
        d.notCarried(from, item + " port '" + portName + "'", "no Service " + namespace + "/" + service
            + " among the inputs to say which number it is; the URL takes ${" + variable + "} (set by Kubernetes in"
            + " pods of the namespace), else 80");
      }
    } else {
      d.notCarried(from, item, "service " + service + " has no port");
      return null;
    }
    return d.backend(service, scheme + "://" + host + ":" + port);
  }
}
