/**
 * A throwaway certificate authority and a server certificate for 127.0.0.1/localhost, made with the openssl CLI in a
 * temporary directory, so TLS tests trust exactly this CA and nothing on the machine.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface TestCa {
  readonly dir: string
  /** PEM file of the CA certificate clients must trust. */
  readonly caFile: string
  /** PEM files of the server's certificate (signed by the CA) and key. */
  readonly certFile: string
  readonly keyFile: string
}

interface Teardown { teardown (fn: () => Promise<void> | void): void }

export async function createTestCa (t: Teardown): Promise<TestCa> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'livegate-ca-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const f = (name: string): string => path.join(dir, name)
  const openssl = async (...args: string[]): Promise<void> => { await run('openssl', args, { cwd: dir }) }
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=livegate test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
  await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', '/CN=127.0.0.1', '-keyout', f('server.key'), '-out', f('server.csr'))
  await writeFile(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n')
  await openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-days', '2', '-extfile', f('server.ext'), '-out', f('server.pem'))
  return { dir, caFile: f('ca.pem'), certFile: f('server.pem'), keyFile: f('server.key') }
}
