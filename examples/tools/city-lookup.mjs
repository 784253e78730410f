// A small operator tool for livegate: looks a city up in a table the server holds, and stores a CSV of the answer
// as an artifact the client can download. Run it with:
//   LIVEGATE_TOOL_MODULES=examples/tools/city-lookup.mjs npm start
// The model then sees `lookup_city` next to render_altair and draw_map, and livegate runs it on the server.

/** Stands in for the database or API an operator would query; it never leaves the server. */
const CITIES = {
  lyon: { name: 'Lyon', country: 'France', population: 522250, lat: 45.764, lng: 4.8357 },
  osaka: { name: 'Osaka', country: 'Japan', population: 2752412, lat: 34.6937, lng: 135.5023 },
  porto: { name: 'Porto', country: 'Portugal', population: 231800, lat: 41.1579, lng: -8.6291 },
}

/** @type {import('livegate').ServerTool} */
const lookupCity = {
  declaration: {
    name: 'lookup_city',
    description: 'Facts about a city from the operator\'s own table: country, population and coordinates.',
    parameters: {
      type: 'OBJECT',
      properties: { city: { type: 'STRING', description: 'The city name, e.g. "Lyon".' } },
      required: ['city'],
    },
  },
  async run (args, ctx) {
    const key = String(args.city ?? '').trim().toLowerCase()
    const city = CITIES[key]
    // A thrown error reaches the model as { error: { code: 'LG_ERR_TOOL_ERROR', message } }, so say how to fix it.
    if (city === undefined) throw new Error(`unknown city ${JSON.stringify(args.city)}; known: ${Object.values(CITIES).map((c) => c.name).join(', ')}`)
    ctx.log.info({ city: city.name, client: ctx.clientName }, 'city looked up')
    const csv = `name,country,population,lat,lng\n${city.name},${city.country},${city.population},${city.lat},${city.lng}\n`
    const { url } = await ctx.storeArtifact(Buffer.from(csv), 'text/csv')
    return { ...city, csv: url }
  },
}

export default lookupCity
