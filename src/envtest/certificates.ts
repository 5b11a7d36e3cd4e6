/**
 * The certificates of one control plane, made with openssl in its temp dir: a CA, the API server's serving
 * certificate, an admin client certificate (O=system:masters) and the service-account signing key pair.
 */
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** PEM files of a throw-away PKI for one control plane, all inside its temp dir. */
export interface ControlPlaneCertificates {
  caCertFile: string;
  caKeyFile: string;
  servingCertFile: string;
  servingKeyFile: string;
  adminCertFile: string;
  adminKeyFile: string;
  /** kube-apiserver's client certificate towards kubelets (`kubectl logs` is proxied through it). */
  kubeletClientCertFile: string;
  kubeletClientKeyFile: string;
  /** A node agent's serving certificate for 127.0.0.1 (the process node's kubelet endpoint). */
  kubeletServingCertFile: string;
  kubeletServingKeyFile: string;
  /** Signs service-account tokens (kube-apiserver) and verifies them (also handed to kube-controller-manager). */
  serviceAccountKeyFile: string;
  serviceAccountPublicKeyFile: string;
  caPem: string;
  adminCertPem: string;
  adminKeyPem: string;
}

/** The API server's serving names: loopback for the harness, the in-cluster names for pods that kwok pretends to run. */
const SERVING_SANS = "IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc";
const VALID_DAYS = "7";

function opensslConfig(subject: string[], extensions: string[]): string {
  return ["[req]", "distinguished_name = dn", "x509_extensions = ext", "prompt = no", "[dn]", ...subject, "[ext]", ...extensions, ""].join("\n");
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync("openssl", args, { timeout: 30_000 });
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === "ENOENT") throw new Error("openssl is needed to make the control plane's certificates: apt-get install openssl", { cause: error });
    throw new Error(`openssl ${args[0]} failed: ${err.stderr ?? err.message}`, { cause: error });
  }
}

async function issue(dir: string, name: string, subject: string[], extensions: string[]): Promise<void> {
  const config = join(dir, `${name}.cnf`);
  await writeFile(config, opensslConfig(subject, extensions));
  await openssl([
    "req",
    "-x509",
    "-config",
    config,
    "-CA",
    join(dir, "ca.crt"),
    "-CAkey",
    join(dir, "ca.key"),
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    join(dir, `${name}.key`),
    "-out",
    join(dir, `${name}.crt`),
    "-days",
    VALID_DAYS,
  ]);
}

/**
 * Makes a CA, the API server's serving certificate, an admin client certificate (O=system:masters, so RBAC lets
 * it do everything), the service-account signing key pair, and the pair the API server and a node agent use
 * between them (kubelet client and serving certificates), with `openssl` (ECDSA P-256: fast to generate).
 */
export async function generateCertificates(dir: string): Promise<ControlPlaneCertificates> {
  await writeFile(
    join(dir, "ca.cnf"),
    opensslConfig(
      ["CN = mysqlop-envtest-ca"],
      ["basicConstraints = critical,CA:TRUE", "keyUsage = critical,keyCertSign,cRLSign,digitalSignature", "subjectKeyIdentifier = hash"],
    ),
  );
  const ca = openssl([
    "req",
    "-x509",
    "-config",
    join(dir, "ca.cnf"),
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    join(dir, "ca.key"),
    "-out",
    join(dir, "ca.crt"),
    "-days",
    VALID_DAYS,
  ]);
  const serviceAccount = generateKeyPairSync("ec", {
    namedCurve: "P-256",
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  await Promise.all([ca, writeFile(join(dir, "sa.key"), serviceAccount.privateKey, { mode: 0o600 }), writeFile(join(dir, "sa.pub"), serviceAccount.publicKey)]);
  const leaf = [
    "basicConstraints = critical,CA:FALSE",
    "keyUsage = critical,digitalSignature,keyEncipherment",
    "subjectKeyIdentifier = hash",
    "authorityKeyIdentifier = keyid",
  ];
  await Promise.all([
    issue(dir, "serving", ["CN = kube-apiserver"], [...leaf, "extendedKeyUsage = serverAuth", `subjectAltName = ${SERVING_SANS}`]),
    issue(dir, "admin", ["O = system:masters", "CN = mysqlop-envtest-admin"], [...leaf, "extendedKeyUsage = clientAuth"]),
    issue(dir, "kubelet-client", ["CN = kube-apiserver-kubelet-client"], [...leaf, "extendedKeyUsage = clientAuth"]),
    issue(dir, "kubelet-serving", ["CN = mysqlop-envtest-node"], [...leaf, "extendedKeyUsage = serverAuth", "subjectAltName = IP:127.0.0.1,DNS:localhost"]),
  ]);
  const [caPem, adminCertPem, adminKeyPem] = await Promise.all(["ca.crt", "admin.crt", "admin.key"].map((f) => readFile(join(dir, f), "utf8")));
  return {
    caCertFile: join(dir, "ca.crt"),
    caKeyFile: join(dir, "ca.key"),
    servingCertFile: join(dir, "serving.crt"),
    servingKeyFile: join(dir, "serving.key"),
    adminCertFile: join(dir, "admin.crt"),
    adminKeyFile: join(dir, "admin.key"),
    kubeletClientCertFile: join(dir, "kubelet-client.crt"),
    kubeletClientKeyFile: join(dir, "kubelet-client.key"),
    kubeletServingCertFile: join(dir, "kubelet-serving.crt"),
    kubeletServingKeyFile: join(dir, "kubelet-serving.key"),
    serviceAccountKeyFile: join(dir, "sa.key"),
    serviceAccountPublicKeyFile: join(dir, "sa.pub"),
    caPem: caPem ?? "",
    adminCertPem: adminCertPem ?? "",
    adminKeyPem: adminKeyPem ?? "",
  };
}
