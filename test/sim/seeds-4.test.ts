/** Seeds 151 to 200 of the simulator's faulty scenario (see scenario.ts); the other files run the rest in parallel. */
import { sweep } from './scenario.js'

sweep(151, 50)
