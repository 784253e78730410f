/**
 * @module simulator/seed
 * The seed conversation: the cookbook notebook `examples/LiveAPI_plotting_and_mapping.ipynb`
 * (google-gemini/cookbook @57f5093). Its prompts, its two function declarations (verbatim), the arguments the model
 * passes, and `seedScript`, which replays the notebook so the offline demo shows the whole flow: a search-style text
 * answer, the code question, "plot them" (`render_altair`), and maps (`draw_map`).
 *
 * Prompts are matched loosely (keywords), so a person typing them in the demo gets the scripted answers. Each call has
 * a `meanwhile` line: on a model whose calls are NON_BLOCKING (gemini-3.8-live) the model says it while the tool runs
 * and speaks the result in a turn of its own; a BLOCKING model skips it.
 */
import { DRAW_MAP_DECLARATION, RENDER_ALTAIR_DECLARATION } from '../tools/seed-declarations.js'
import type { Action, Rule, Script, ToolResponse, UserTurn } from './script.js'

/** The notebook's model (`model = "models/gemini-2.5-flash-native-audio-preview-09-2025"`). */
export const SEED_MODEL = 'gemini-2.5-flash-native-audio-preview-09-2025'

/** The notebook's prompts, verbatim. */
export const SEED_PROMPTS = {
  /** First cell, TEXT modality. */
  films: 'Please find the last 5 Denis Villeneuve movies and look up their runtimes and the year published.',
  /** Multi-tool cell, AUDIO modality. */
  filmsAudio: 'Please find the last 5 Denis Villeneuve movies and find their runtimes.',
  code: 'Can you write some code to work out which has the longest and shortest runtimes?',
  plot: 'Now can you plot them in a line chart showing the year on the x-axis and runtime on the y-axis?',
  /** The notebook's next turn is `input('Any requests? > ')`; its comment suggests dark mode. */
  restyle: 'Can you change it to dark mode?',
  sydney: 'Please look up and mark 3 Sydney restaurants that are currently trending on a map.',
  pickOne: 'Now write some code to randomly pick one to eat at tonight and zoom in to that one on the map.',
  capitals: 'Plot markers on every capital city in Australia using a gradient between Orange and Green. ' +
    'Plan out your steps first, then follow the plan.',
  circular: 'Awesome! Can you ensure the gradient is applied smoothly in a circular direction around the country?',
} as const

// The notebook's function declarations, verbatim, shared with the server tools that replace them.
export { DRAW_MAP_DECLARATION, RENDER_ALTAIR_DECLARATION }

/** The notebook's `tools` lists, in the API's camelCase: plotting (search, code, charts) and mapping. */
export const SEED_TOOLS = {
  plotting: [{ googleSearch: {} }, { codeExecution: {} }, { functionDeclarations: [RENDER_ALTAIR_DECLARATION] }],
  mapping: [{ googleSearch: {} }, { functionDeclarations: [DRAW_MAP_DECLARATION] }],
  capitals: [{ codeExecution: {} }, { functionDeclarations: [DRAW_MAP_DECLARATION] }],
} as const

// The data the model finds and the arguments it passes ----------------------------------------------------------

/** Denis Villeneuve's last five films as the notebook's run found them (runtimes as in its chart). */
export const SEED_FILMS = [
  { title: 'Dune: Part Two', year: 2024, runtimeMinutes: 166 },
  { title: 'Dune: Part One', year: 2021, runtimeMinutes: 155 },
  { title: 'Blade Runner 2049', year: 2017, runtimeMinutes: 164 },
  { title: 'Arrival', year: 2016, runtimeMinutes: 116 },
  { title: 'Sicario', year: 2015, runtimeMinutes: 121 },
] as const

function hoursAndMinutes (minutes: number): string {
  const h = Math.floor(minutes / 60)
  const m = minutes % 60
  return `${h} hour${h === 1 ? '' : 's'} ${m} minute${m === 1 ? '' : 's'}`
}

/**
 * The chart the model draws for "plot them": a Vega-Lite v5 line chart of year against runtime, shaped like the
 * Altair chart the notebook's run produced (`mark: line + point`, tooltips, Altair's default view size), with the
 * year as a number axis rather than Altair's `temporal` (which would read 2024 as milliseconds since 1970).
 */
export const SEED_CHART_SPEC = {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  title: 'Denis Villeneuve Movie Runtimes',
  config: { view: { continuousWidth: 400, continuousHeight: 300 } },
  data: {
    values: SEED_FILMS.map((f) => ({
      title: f.title, year: f.year, runtime_minutes: f.runtimeMinutes, runtime: hoursAndMinutes(f.runtimeMinutes),
    })),
  },
  mark: { type: 'line', point: true },
  encoding: {
    x: { field: 'year', type: 'quantitative', title: 'Year', axis: { format: 'd' }, scale: { zero: false } },
    y: { field: 'runtime_minutes', type: 'quantitative', title: 'Runtime (minutes)', scale: { zero: false } },
    tooltip: [{ field: 'title', type: 'nominal' }, { field: 'runtime', type: 'nominal' }],
  },
}

/** `render_altair.altair_json`: the spec as a JSON *string*, as the declaration demands. */
export const SEED_ALTAIR_JSON = JSON.stringify(SEED_CHART_SPEC)

/** The notebook's `render_altair(altair_json, theme="default")`. */
export const SEED_RENDER_ALTAIR_ARGS = { altair_json: SEED_ALTAIR_JSON, theme: 'default' } as const

/** Three restaurants in Sydney's CBD and Circular Quay, as lat,lng (an address may not geocode offline). */
export const SEED_RESTAURANTS = [
  { name: 'Quay', label: 'Q', color: 'red', lat: -33.858, lng: 151.2101, where: 'the Overseas Passenger Terminal, The Rocks' },
  { name: 'Bennelong', label: 'B', color: 'blue', lat: -33.8568, lng: 151.2153, where: 'the Sydney Opera House' },
  { name: 'Tetsuya\'s', label: 'T', color: 'green', lat: -33.8752, lng: 151.205, where: 'Kent Street' },
] as const

function latLng (lat: number, lng: number): string {
  return `${lat.toFixed(4)},${lng.toFixed(4)}`
}

/** `draw_map` for the three restaurants: one markers descriptor per style, centred between them at zoom 14. */
export const SEED_SYDNEY_MAP_ARGS = {
  center: '-33.8633,151.2101',
  zoom: 14,
  markers: SEED_RESTAURANTS.map((r) => `color:${r.color}|label:${r.label}|${latLng(r.lat, r.lng)}`),
}

/** The restaurant the "random" pick lands on, and the zoomed-in map. */
export const SEED_PICK = SEED_RESTAURANTS[1]
export const SEED_PICK_MAP_ARGS = {
  center: latLng(SEED_PICK.lat, SEED_PICK.lng),
  zoom: 17,
  markers: [`color:${SEED_PICK.color}|label:${SEED_PICK.label}|${latLng(SEED_PICK.lat, SEED_PICK.lng)}`],
}

/** Australia's eight capitals (state and territory capitals plus Canberra), GeoNames coordinates. */
export const SEED_CAPITALS = [
  { name: 'Perth', label: 'P', lat: -31.9505, lng: 115.8605 },
  { name: 'Darwin', label: 'D', lat: -12.4634, lng: 130.8456 },
  { name: 'Adelaide', label: 'A', lat: -34.9285, lng: 138.6007 },
  { name: 'Melbourne', label: 'M', lat: -37.8136, lng: 144.9631 },
  { name: 'Hobart', label: 'H', lat: -42.8821, lng: 147.3272 },
  { name: 'Canberra', label: 'C', lat: -35.2809, lng: 149.13 },
  { name: 'Sydney', label: 'S', lat: -33.8688, lng: 151.2093 },
  { name: 'Brisbane', label: 'B', lat: -27.4698, lng: 153.0251 },
] as const

/** Eight colours from orange (0xFFA500) to green (0x008000), evenly spaced in RGB. */
export const SEED_GRADIENT = ['0xFFA500', '0xDBA000', '0xB69A00', '0x929500', '0x6D9000', '0x498B00', '0x248500', '0x008000'] as const

/** First attempt: west to east (by longitude). */
export const SEED_CAPITALS_WEST_TO_EAST = ['Perth', 'Darwin', 'Adelaide', 'Melbourne', 'Hobart', 'Canberra', 'Sydney', 'Brisbane'] as const
/** "In a circular direction": clockwise by bearing around the capitals' centroid, starting in the west. */
export const SEED_CAPITALS_CLOCKWISE = ['Perth', 'Darwin', 'Brisbane', 'Sydney', 'Canberra', 'Melbourne', 'Hobart', 'Adelaide'] as const

function capitalMarkers (order: readonly string[]): string[] {
  return order.map((name, i) => {
    const city = SEED_CAPITALS.find((c) => c.name === name) as typeof SEED_CAPITALS[number]
    return `color:${SEED_GRADIENT[i] as string}|label:${city.label}|${latLng(city.lat, city.lng)}`
  })
}

/** Centre and zoom that fit all eight capitals in the notebook's 512x512 map (reference static-maps §2). */
export const SEED_CAPITALS_MAP_ARGS = { center: '-28.7700,134.4400', zoom: 4, markers: capitalMarkers(SEED_CAPITALS_WEST_TO_EAST) }
export const SEED_CIRCULAR_MAP_ARGS = { center: '-28.7700,134.4400', zoom: 4, markers: capitalMarkers(SEED_CAPITALS_CLOCKWISE) }

// The answers ----------------------------------------------------------------------------------------------------

const FILMS_TEXT = [
  'Based on the search results, the last 5 Denis Villeneuve movies are:',
  '',
  ...SEED_FILMS.map((f, i) => `${i + 1}.  *${f.title}* (${f.year})`),
  '',
  'Now, let\'s find the runtimes for these movies.',
  'Here\'s a summary of the last 5 Denis Villeneuve movies, their release year, and runtime:',
  '',
  ...SEED_FILMS.map((f) => `*   **${f.title}** (${f.year}): ${f.runtimeMinutes} minutes (${hoursAndMinutes(f.runtimeMinutes)})`),
].join('\n')

const FILMS_SPOKEN = 'Denis Villeneuve\'s last five films are ' +
  SEED_FILMS.map((f) => `${f.title}, from ${f.year}, which runs ${f.runtimeMinutes} minutes`).join('; ') + '.'

const CODE_TEXT = [
  'I used a short piece of Python:',
  '',
  '```python',
  'runtimes = {',
  ...SEED_FILMS.map((f) => `    "${f.title}": ${f.runtimeMinutes},`),
  '}',
  'longest = max(runtimes, key=runtimes.get)',
  'shortest = min(runtimes, key=runtimes.get)',
  'print(f"Longest: {longest} ({runtimes[longest]} minutes)")',
  'print(f"Shortest: {shortest} ({runtimes[shortest]} minutes)")',
  '```',
  '',
  'Output:',
  '',
  '```',
  'Longest: Dune: Part Two (166 minutes)',
  'Shortest: Arrival (116 minutes)',
  '```',
  '',
  'So *Dune: Part Two* is the longest at 166 minutes, and *Arrival* is the shortest at 116 minutes.',
].join('\n')

const CODE_SPOKEN = 'I wrote a short Python script that puts the five runtimes in a dictionary and takes the largest ' +
  'and the smallest. Dune: Part Two is the longest, at 166 minutes, and Arrival is the shortest, at 116 minutes.'

function bySession (text: string, spoken: string): (turn: UserTurn) => Action[] {
  return (turn) => [{ say: turn.modality === 'AUDIO' ? spoken : text }]
}

/** What the model says once a tool answered: its result if it reported an error, else the scripted line. */
function afterTool (done: string): (responses: readonly ToolResponse[]) => string {
  return (responses) => {
    const failed = responses.find((r) => r.response.error !== undefined)
    if (failed === undefined) return done
    const error = failed.response.error
    return `The ${failed.name} tool reported a problem: ${typeof error === 'string' ? error : JSON.stringify(error)}`
  }
}

const THEMES = ['dark', 'ggplot2', 'opaque', 'default'] as const

function themeIn (text: string): typeof THEMES[number] {
  const lower = text.toLowerCase()
  if (/ggplot/.test(lower)) return 'ggplot2'
  if (/opaque/.test(lower)) return 'opaque'
  if (/dark|night|black/.test(lower)) return 'dark'
  return 'default'
}

const CAPITALS_PLAN = [
  'Here is my plan:',
  '1. List Australia\'s eight capital cities with their coordinates.',
  '2. Work out eight colours evenly spaced between orange (0xFFA500) and green (0x008000).',
  '3. Give each city its own marker descriptor with one of those colours and its initial as the label.',
  '4. Centre the map on Australia at zoom level 4 and draw it.',
  '',
  'Following the plan, I\'ll order the cities from west to east so the gradient runs across the country.',
].join('\n')

const RULES: Rule[] = [
  {
    match: /circular|clockwise|around the (country|coast)/i,
    reply: [
      { say: 'To run the gradient around the country, I\'ll order the capitals by their bearing from the centre of ' + 'Australia, clockwise from the west: ' + SEED_CAPITALS_CLOCKWISE.join(', ') + '.' },
      { call: { name: 'draw_map', args: SEED_CIRCULAR_MAP_ARGS }, meanwhile: [{ say: 'Drawing the map now.' }] },
      { sayFrom: afterTool('Here it is: the markers now shade smoothly from orange in Perth, clockwise around the coast, to green in Adelaide.') },
    ],
  },
  {
    match: /capital/i,
    reply: [
      { say: CAPITALS_PLAN },
      { call: { name: 'draw_map', args: SEED_CAPITALS_MAP_ARGS }, meanwhile: [{ say: 'Drawing the map now.' }] },
      { sayFrom: afterTool('The map shows all eight capitals, from orange in Perth in the west to green in Brisbane in the east.') },
    ],
  },
  {
    match: /random|pick one|tonight|zoom in/i,
    reply: [
      { say: 'I ran `random.choice(["Quay", "Bennelong", "Tetsuya\'s"])` and it picked **Bennelong**, at the Sydney Opera House. Let me zoom in.' },
      { call: { name: 'draw_map', args: SEED_PICK_MAP_ARGS }, meanwhile: [{ say: 'One moment.' }] },
      { sayFrom: afterTool('The map is now zoomed in on Bennelong. Enjoy dinner!') },
    ],
  },
  {
    match: /restaurant|sydney/i,
    reply: [
      { call: { name: 'draw_map', args: SEED_SYDNEY_MAP_ARGS }, meanwhile: [{ say: 'I\'m marking three Sydney restaurants on a map.' }] },
      {
        sayFrom: afterTool('I\'ve marked three Sydney restaurants that are getting a lot of attention right now: ' +
          SEED_RESTAURANTS.map((r) => `${r.label} is ${r.name}, at ${r.where}`).join('; ') + '.'),
      },
    ],
  },
  {
    match: /\b(dark|ggplot2?|opaque|theme|night mode)\b/i,
    reply: (turn) => {
      const theme = themeIn(turn.text)
      return [
        { call: { name: 'render_altair', args: { altair_json: SEED_ALTAIR_JSON, theme } }, meanwhile: [{ say: `Redrawing the chart with the ${theme} theme.` }] },
        { sayFrom: afterTool(`I've redrawn the chart with the ${theme} theme.`) },
      ]
    },
  },
  {
    match: /\b(plot|chart|graph|visuali[sz]e)/i,
    reply: [
      { call: { name: 'render_altair', args: SEED_RENDER_ALTAIR_ARGS }, meanwhile: [{ say: 'I\'m drawing a line chart of the runtimes by year.' }] },
      {
        sayFrom: afterTool('Here is a line chart of the five films\' runtimes by release year. The two Dune films ' +
          'and Blade Runner 2049 are the longest; Arrival is the shortest.'),
      },
    ],
  },
  { match: /\bcode\b|longest|shortest|script/i, reply: bySession(CODE_TEXT, CODE_SPOKEN) },
  { match: /villeneuve|movie|film/i, reply: bySession(FILMS_TEXT, FILMS_SPOKEN) },
  {
    match: /what did i (just )?(say|ask)|do you remember|what was my (last )?question/i,
    reply: (turn) => {
      const last = [...turn.history].reverse().find((h) => h.role === 'user')
      return [{ say: last === undefined ? 'This is the start of our conversation.' : `You asked: "${last.text}"` }]
    },
  },
]

/** The default script: the notebook's conversations, then a pointer to them for anything else. */
export const seedScript: Script = {
  rules: RULES,
  fallback: [{
    say: 'I\'m the livegate Gemini simulator, a scripted stand-in for Gemini Live. Try the cookbook\'s prompts, for ' +
      `example: "${SEED_PROMPTS.filmsAudio}", then "${SEED_PROMPTS.plot}", or "${SEED_PROMPTS.sydney}"`,
  }],
}
