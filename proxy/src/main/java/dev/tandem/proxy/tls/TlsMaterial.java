package dev.tandem.proxy.tls;

import dev.tandem.proxy.config.ListenerTls;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.KeyStoreOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.X509KeyManager;

/**
 * A listener's certificate, key and client CA as read from disk once, checked (the key must sign what the
 * certificate's public key verifies) and handed to Vert.x as those very bytes, so that what was checked is what is
 * served even if the files change again meanwhile.
 *
 * @param fingerprint SHA-256 over every file, to tell a rotation from a re-read
 * @param expiry      when the served certificate expires, in seconds since the epoch
 * @param serial      its serial number, in hex
 */
public record TlsMaterial(ServerSSLOptions options, String fingerprint, long expiry, String serial) {

  /** Blocking: reads and checks the files named by {@code tls}. */
  public static TlsMaterial read(Vertx vertx, ListenerTls tls) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    KeyCertOptions keyCert;
    if (tls.keyStore() != null) {
      keyCert = new KeyStoreOptions().setType(tls.keyStoreType()).setPassword(tls.keyStorePassword())
          .setValue(read(tls.keyStore(), digest));
    } else {
      keyCert = new PemKeyCertOptions().setCertValue(read(tls.cert(), digest)).setKeyValue(read(tls.key(), digest));
    }
    ServerSSLOptions options = new ServerSSLOptions()
        .setKeyCertOptions(keyCert)
        .setEnabledSecureTransportProtocols(new LinkedHashSet<>(tls.protocols()))
        .setClientAuth(switch (tls.clientAuth()) {
          case ListenerTls.CLIENT_AUTH_REQUIRED -> ClientAuth.REQUIRED;
          case ListenerTls.CLIENT_AUTH_REQUEST -> ClientAuth.REQUEST;
          default -> ClientAuth.NONE;
        });
    if (tls.clientCa() != null) {
      options.setTrustOptions(new PemTrustOptions().addCertValue(read(tls.clientCa(), digest)));
    }
    X509KeyManager keys = Arrays.stream(keyCert.getKeyManagerFactory(vertx).getKeyManagers())
        .filter(k -> k instanceof X509KeyManager).map(k -> (X509KeyManager) k).findFirst()
        .orElseThrow(() -> new IllegalStateException("no key manager"));
    String alias = firstAlias(keys);
    PrivateKey key = keys.getPrivateKey(alias);
    X509Certificate[] chain = keys.getCertificateChain(alias);
    if (key == null || chain == null || chain.length == 0) {
      throw new IllegalStateException("no certificate with its private key");
    }
    matches(key, chain[0]);
    return new TlsMaterial(options, HexFormat.of().formatHex(digest.digest()),
        chain[0].getNotAfter().toInstant().getEpochSecond(), chain[0].getSerialNumber().toString(16));
  }

  private static Buffer read(String file, MessageDigest digest) throws java.io.IOException {
    byte[] bytes = Files.readAllBytes(Path.of(file));
    digest.update(bytes);
    digest.update((byte) 0);
    return Buffer.buffer(bytes);
  }

  private static String firstAlias(X509KeyManager keys) {
    for (String type : new String[] {"RSA", "EC", "EdDSA", "Ed25519", "DSA"}) {
      String[] aliases = keys.getServerAliases(type, null);
      if (aliases != null && aliases.length > 0) {
        return aliases[0];
      }
    }
    throw new IllegalStateException("the key store holds no private key");
  }

  /** Fails unless {@code key} signs what the certificate's public key verifies. */
  private static void matches(PrivateKey key, X509Certificate cert) throws Exception {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "DSA" -> "SHA256withDSA";
      default -> key.getAlgorithm(); // EdDSA, Ed25519, Ed448 sign as themselves
    };
    byte[] challenge = "tandem: does this key belong to this certificate?".getBytes(StandardCharsets.UTF_8);
    Signature signer = Signature.getInstance(algorithm);
    signer.initSign(key);
    signer.update(challenge);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance(algorithm);
    verifier.initVerify(cert.getPublicKey());
    verifier.update(challenge);
    if (!verifier.verify(signature)) {
      throw new IllegalStateException("the private key does not belong to the certificate (serial "
          + cert.getSerialNumber().toString(16) + ")");
    }
  }
}
