// Fastify 5 peer of bench/app: the same route as an async handler.
const fastify = require('fastify')({ logger: false });
fastify.get('/hello/:name', async (req) => ({ hello: req.params.name }));
fastify.listen({ port: Number(process.argv[2]), host: '127.0.0.1' });
