// Certificates and keys for the e2e control plane, made with the openssl CLI:
// a CA, the apiserver's serving certificate, client certificates for the
// admin (group system:masters), kube-controller-manager and kube-scheduler,
// and the ServiceAccount token signing key pair.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ClientCert {
  cert: string;
  key: string;
}

export interface PlaneCerts {
  dir: string;
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  saKey: string;
  saPub: string;
  admin: ClientCert;
  controllerManager: ClientCert;
  scheduler: ClientCert;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function genKey(dir: string, name: string): string {
  const path = join(dir, `${name}.key`);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path], dir);
  return path;
}

function signLeaf(dir: string, ca: { cert: string; key: string }, name: string, subj: string, ext: string): ClientCert {
  const key = genKey(dir, name);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  openssl(['req', '-new', '-key', key, '-subj', subj, '-out', csr], dir);
  openssl(
    ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial',
      '-days', '30', '-sha256', '-extfile', extFile, '-out', cert],
    dir,
  );
  return { cert, key };
}

const clientExt = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';

/** Create every certificate and key the plane needs under dir. */
export function makeCerts(dir: string, serviceIP = '10.0.0.1'): PlaneCerts {
  mkdirSync(dir, { recursive: true });
  const caKey = genKey(dir, 'ca');
  const caCert = join(dir, 'ca.crt');
  openssl(
    ['req', '-x509', '-new', '-key', caKey, '-subj', '/CN=govc-e2e-ca', '-days', '30', '-sha256',
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
      '-out', caCert],
    dir,
  );
  const ca = { cert: caCert, key: caKey };
  const serving = signLeaf(dir, ca, 'apiserver', '/CN=kube-apiserver',
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n' +
    'extendedKeyUsage=serverAuth\n' +
    `subjectAltName=IP:127.0.0.1,IP:${serviceIP},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,` +
    'DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n');
  const admin = signLeaf(dir, ca, 'admin', '/O=system:masters/CN=govc-e2e-admin', clientExt);
  const controllerManager = signLeaf(dir, ca, 'kube-controller-manager', '/CN=system:kube-controller-manager', clientExt);
  const scheduler = signLeaf(dir, ca, 'kube-scheduler', '/CN=system:kube-scheduler', clientExt);
  const saKey = join(dir, 'sa.key');
  const saPub = join(dir, 'sa.pub');
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', saKey], dir);
  openssl(['pkey', '-in', saKey, '-pubout', '-out', saPub], dir);
  return {
    dir, caCert, caKey, servingCert: serving.cert, servingKey: serving.key,
    saKey, saPub, admin, controllerManager, scheduler,
  };
}
