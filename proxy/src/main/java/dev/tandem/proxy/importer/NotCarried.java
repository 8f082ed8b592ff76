package dev.tandem.proxy.importer;

/**
 * One annotation, directive or field of the input that the imported configuration does not carry over, or carries
 * over only approximately, and why.
 *
 * @param file   the input file
 * @param object the Kubernetes object, as {@code Ingress shop/orders}
 * @param item   what was not carried over ({@code annotation nginx.ingress.kubernetes.io/rewrite-target})
 * @param why    the reason, and what to do instead when there is something
 */
public record NotCarried(String file, String object, String item, String why) {

  /** The line printed for it. */
  public String line() {
    return file + ": " + object + ": " + item + ": not carried over: " + why;
  }
}
