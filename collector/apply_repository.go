package collector

import (
	"errors"
	"fmt"
)

// mergeRepository applies a repository event: deleted and transferred drop the
// repository's alerts, renamed relabels them, the others update the inventory.
func (t *Target) mergeRepository(c Change) error {
	id, name := c.Repository.ID, c.Repository.Name
	if id <= 0 || name == "" {
		return errors.New("the delivery names no repository id and name")
	}
	switch c.Action {
	case "deleted", "transferred":
		for _, set := range t.alerts {
			set.dropRepo(id)
		}
		t.Repos = t.Repos.without(name)
	case "renamed":
		if c.OldName == "" {
			return errors.New("a renamed repository without its former name")
		}
		for _, set := range t.alerts {
			if err := set.renameRepo(id, name); err != nil {
				return err
			}
		}
		t.Repos = t.Repos.renamed(c.OldName, name)
	case "archived", "unarchived", "privatized", "publicized", "edited":
		t.Repos = t.Repos.updated(c.Repository)
	default:
		return fmt.Errorf("%w: repository action %q", ErrIgnored, c.Action)
	}
	return nil
}

func (s *alertSet) dropRepo(id int64) {
	for k := range s.Records {
		if k.Repo == id {
			delete(s.Records, k)
		}
	}
}

// renameRepo gives the records of repository id the label name.
func (s *alertSet) renameRepo(id int64, name string) error {
	for k, r := range s.Records {
		if k.Repo != id {
			continue
		}
		tu := s.Tuples[r.Tuple]
		values := append([]string{name}, tu.Values[1:]...)
		i, err := s.tuple(values, tu.Severity)
		if err != nil {
			return err
		}
		r.Tuple = i
		s.Records[k] = r
	}
	return nil
}

// without returns the inventory less repository name; nil stays nil.
func (inv *Inventory) without(name string) *Inventory {
	if inv == nil {
		return nil
	}
	var repos []Repository
	for _, n := range inv.names {
		if n != name {
			repos = append(repos, inv.repos[n])
		}
	}
	return NewInventory(repos)
}

func (inv *Inventory) renamed(from, to string) *Inventory {
	if inv == nil {
		return nil
	}
	repos := make([]Repository, 0, len(inv.names))
	for _, n := range inv.names {
		r := inv.repos[n]
		if n == from {
			r.Name = to
		}
		repos = append(repos, r)
	}
	return NewInventory(repos)
}

func (inv *Inventory) updated(c ChangedRepository) *Inventory {
	r, ok := inv.Lookup(c.Name)
	if !ok {
		return inv
	}
	r.Archived, r.Fork = c.Archived, c.Fork
	if c.Visibility != "" {
		r.Visibility = c.Visibility
	}
	repos := make([]Repository, 0, len(inv.names))
	for _, n := range inv.names {
		if n == c.Name {
			repos = append(repos, r)
		} else {
			repos = append(repos, inv.repos[n])
		}
	}
	return NewInventory(repos)
}
