import { ApolloProvider } from '@apollo/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createStudyclockClient } from './apollo.js';
import { App } from './components/App.js';
import { LinkStatusContext } from './components/LinkStatusBadge.js';
import './styles.css';

const client = createStudyclockClient();
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');

createRoot(root).render(
  <StrictMode>
    <ApolloProvider client={client.apollo}>
      <LinkStatusContext value={client.linkStatus}>
        <App />
      </LinkStatusContext>
    </ApolloProvider>
  </StrictMode>,
);
