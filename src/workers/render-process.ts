/**
 * @module workers/render-process
 * The entry of the render process (workers/render-host.ts starts it): the chart and map worker pools live here, in a
 * process of their own, so that everything a render costs (the workers, and V8's GC and compiler threads that serve
 * them, which a worker's nice value never reached) runs at the priority the host gave this process. Tasks arrive
 * over the IPC channel; each answer names its task.
 */
import { createRenderPool, type RenderPool } from '../charts/render-pool.js'
import type { RenderTask as ChartTask } from '../charts/render.js'
import { isLivegateError } from '../errors.js'
import { createMapPool, type MapPool } from '../maps/pool.js'
import type { RenderTask as MapTask } from '../maps/render-worker.js'
import { isHostRequest, type HostOptions, type HostReply, type HostRequest, type RemoteError } from './render-protocol.js'

const send = process.send?.bind(process)
if (send === undefined) {
  process.stderr.write('livegate render process: start it through workers/render-host.ts (no IPC channel)\n')
  process.exit(2)
}

const options = JSON.parse(process.env.LIVEGATE_RENDER_PROCESS_OPTIONS ?? '{}') as HostOptions
let charts: RenderPool | undefined
let maps: MapPool | undefined
const running = new Map<number, AbortController>()

function reply (message: HostReply): void {
  // The parent has gone (the channel closed): nothing is listening for this answer.
  if (process.connected) send?.(message)
}

function remoteError (err: unknown): RemoteError {
  if (isLivegateError(err)) return { code: err.code, detail: err.detail, ...(err.extra === undefined ? {} : { extra: { ...err.extra } }) }
  return { message: err instanceof Error ? err.message : String(err) }
}

async function perform (request: HostRequest, signal: AbortSignal): Promise<unknown> {
  switch (request.op) {
    case 'chart':
      return await (charts ??= createRenderPool(options.charts)).run(request.task as ChartTask, signal)
    case 'geocode':
      return await (maps ??= createMapPool(options.maps)).geocode(request.task as string[], signal)
    case 'map':
      return await (maps ??= createMapPool(options.maps)).render(request.task as MapTask, signal)
  }
}

async function handle (request: HostRequest): Promise<void> {
  const controller = new AbortController()
  running.set(request.id, controller)
  try {
    reply({ id: request.id, value: await perform(request, controller.signal) })
  } catch (err) {
    reply({ id: request.id, error: remoteError(err) })
  } finally {
    running.delete(request.id)
  }
}

process.on('message', (message: unknown) => {
  if (!isHostRequest(message)) return
  if (message.op === 'cancel') running.get(message.id)?.abort(new DOMException('cancelled by the gateway', 'AbortError'))
  else void handle(message)
})

// The gateway closed the channel (it stopped, or it died): stop the pools and go, never outlive it.
process.on('disconnect', () => {
  for (const controller of running.values()) controller.abort()
  void Promise.allSettled([charts?.close(), maps?.close()]).finally(() => { process.exit(0) })
})
