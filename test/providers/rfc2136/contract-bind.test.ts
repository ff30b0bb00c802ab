import { providerContract } from '../contract.js';
import { bindBackend } from './backend.js';

providerContract(bindBackend);
